import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { BatonConfig } from '@baton/config';
import { describeError } from '@baton/observability';
import { backoffDelay, sleep } from '@baton/resilience';
import { createDataSource, DatabaseSchema } from './data-source';
import { isDatabaseUnavailable } from './database-errors';

const RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 5_000;

/** Thrown by repositories while the process has not yet reached PostgreSQL. */
export class DatabaseNotConnectedError extends Error {
  constructor() {
    super('not connected to PostgreSQL yet');
    this.name = 'DatabaseNotConnectedError';
  }
}

/**
 * Owns the process's DataSource. TypeORM's initialize() connects at once
 * and fails if PostgreSQL is away; a process must still start then (and
 * report not ready), so the connector keeps trying in the background, with
 * capped, jittered backoff, until it succeeds or the process stops.
 */
@Injectable()
export class DatabaseConnector implements OnApplicationShutdown {
  private readonly logger = new Logger('Persistence');
  readonly dataSource: DataSource;
  private closing = false;
  private readonly connecting: Promise<void>;

  constructor(config: BatonConfig, applicationName: string, schema: DatabaseSchema) {
    this.dataSource = createDataSource({
      url: config.DATABASE_URL!,
      poolSize: config.DATABASE_POOL_SIZE,
      applicationName,
      schema,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    });
    this.connecting = this.connect();
  }

  /** Resolves once connected (or once the process stops trying). */
  whenConnected(): Promise<void> {
    return this.connecting;
  }

  private async connect(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        await this.dataSource.initialize();
        guardCheckedOutClients(connectedPool(this.dataSource), this.logger);
        if (attempt > 0) this.logger.log('connected to PostgreSQL');
        return;
      } catch (error) {
        const delay = backoffDelay(attempt, RETRY_BASE_MS, RETRY_CAP_MS);
        const kind = isDatabaseUnavailable(error) ? 'unreachable' : 'refused the connection';
        this.logger.warn(`PostgreSQL ${kind} (${describeError(error)}); retrying in ${delay} ms`);
        await sleep(delay);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
      this.logger.log('PostgreSQL pool closed');
    }
  }
}

/** The DataSource, if it is connected; else a DatabaseNotConnectedError (which callers treat as "unavailable"). */
export function connected(dataSource: DataSource): DataSource {
  if (!dataSource.isInitialized) throw new DatabaseNotConnectedError();
  return dataSource;
}

/**
 * The pg pool under a connected DataSource, for the statements on every
 * request's path: TypeORM's query runner (a runner per query, subscriber
 * broadcasts) costs more there than the query itself, and a named statement
 * is parsed and planned once per connection instead of once per request.
 */
export function connectedPool(dataSource: DataSource): Pool {
  return (connected(dataSource).driver as PostgresDriver).master as Pool;
}

/**
 * pg's pool listens for a client's errors only while the client is idle in
 * it. A checked-out client whose connection breaks between two of its
 * statements (inside a transaction, say) emits an 'error' nobody hears, and
 * Node ends the process for it. Every client checked out gets a listener
 * of its own, once: the break is logged, and the client's next statement
 * fails as any statement on a lost database does.
 */
export function guardCheckedOutClients(pool: Pool, logger: Logger): void {
  const guarded = new WeakSet<object>();
  pool.on('acquire', (client) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', (error) => logger.warn(`a PostgreSQL connection in use broke: ${describeError(error)}`));
  });
}
