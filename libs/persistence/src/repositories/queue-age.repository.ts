import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { JobType } from '@baton/contracts';
import { connectedPool } from '../database-connector';
import { oldestQueuedPerType } from './job-sql';

// Any constant shared by every Baton process; it names the advisory lock
// held by the one process that reads the queues' ages (the migrations' lock
// is 72_616_001, retention's class 72_616_002).
const QUEUE_AGE_LOCK_KEY = 72_616_003;

/** The oldest job of a type that is due and waiting for a worker. */
export interface OldestPending {
  type: JobType;
  /** Seconds since it was due (a delayed job's runAt, else its creation); 0 when none waits. */
  ageSeconds: number;
}

// One index probe per type: the first entry of the type's part of jobs_pending_due_idx.
const OLDEST_PENDING_SQL = `
  SELECT t.type, coalesce(greatest(0, extract(epoch FROM now() - oldest.due)), 0)::float8 AS "ageSeconds"
  ${oldestQueuedPerType()}`;

/**
 * Reads how long the oldest waiting job of each type has waited, in one
 * process at a time: the process that holds a session-level advisory lock,
 * on a connection it keeps out of the pool for as long as it holds it. When
 * that process stops, or its connection breaks, the session ends, the lock
 * is free, and the next process to ask takes it over.
 */
@Injectable()
export class QueueAgeRepository implements OnApplicationShutdown {
  private holder?: PoolClient;

  constructor(private readonly dataSource: DataSource) {}

  /** The age of each type's oldest waiting job, if this process holds the lock (or takes it now); undefined while another one does. */
  async oldestPending(types: readonly JobType[]): Promise<OldestPending[] | undefined> {
    const client = this.holder ?? (await this.takeLock());
    if (!client) return undefined;
    try {
      const { rows } = await client.query<OldestPending>(OLDEST_PENDING_SQL, [types]);
      return rows;
    } catch (error) {
      this.letGo(client, error);
      throw error;
    }
  }

  /** The plan of the query, for tests and the docs: EXPLAIN (FORMAT JSON) on the process's pool. */
  async explainOldestPending(types: readonly JobType[]): Promise<unknown> {
    const [row] = (await connectedPool(this.dataSource).query(`EXPLAIN (FORMAT JSON) ${OLDEST_PENDING_SQL}`, [types])).rows;
    return row['QUERY PLAN'];
  }

  private async takeLock(): Promise<PoolClient | undefined> {
    const client = await connectedPool(this.dataSource).connect();
    try {
      const { rows } = await client.query<{ taken: boolean }>(`SELECT pg_try_advisory_lock($1) AS taken`, [QUEUE_AGE_LOCK_KEY]);
      if (!rows[0].taken) {
        client.release();
        return undefined;
      }
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    // Out of the pool, an error on an idle connection (the server
    // restarting) has no listener but this one: without it, the process dies.
    client.on('error', (error) => this.letGo(client, error));
    this.holder = client;
    return client;
  }

  /** Ends the session, which frees the lock, and forgets the connection. */
  private letGo(client: PoolClient, error?: unknown): void {
    if (this.holder !== client) return;
    this.holder = undefined;
    client.release(error instanceof Error ? error : true);
  }

  onApplicationShutdown(): void {
    if (this.holder) this.letGo(this.holder);
  }
}
