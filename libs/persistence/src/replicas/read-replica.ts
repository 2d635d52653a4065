import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { describeError } from '@baton/observability';
import { backoffDelay } from '@baton/resilience';
import { createDataSource, DatabaseSchema } from '../data-source';
import { connectedPool, guardCheckedOutClients } from '../database-connector';
import { isDatabaseUnavailable } from '../database-errors';
import { ReplayCatchUp, walPosition } from './replay-position';

/** A replica that failed is left alone for at least this long, doubling up to the cap while it keeps failing. */
const DOWN_BASE_MS = 1_000;
const DOWN_CAP_MS = 30_000;

export interface ReadReplicaSettings {
  url: string;
  poolSize: number;
  applicationName: string;
  schema: DatabaseSchema;
}

/** A replica's URL as logs and metrics name it: host and port, never the password. */
export function replicaName(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || '5432'}`;
}

/**
 * One replica of DATABASE_READ_URL: its pool, connected lazily and again
 * after a failure, never holding up the process; whether it is up (reachable
 * and a hot standby); and how far behind the primary it may be.
 */
export class ReadReplica {
  readonly name: string;
  readonly dataSource: DataSource;
  readonly catchUp = new ReplayCatchUp();
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private failures = 0;
  private retryAt = 0;
  private probing = false;
  private closed = false;

  constructor(
    settings: ReadReplicaSettings,
    private readonly logger: Logger,
  ) {
    this.name = replicaName(settings.url);
    this.dataSource = createDataSource({ ...settings, standby: true });
  }

  get up(): boolean {
    return this.state === 'up';
  }

  /** When the next probe is due, after a failure; 0 while up. */
  get probeDueAt(): number {
    return this.retryAt;
  }

  /** Connects if need be and reads how far the replica has replayed; one probe at a time. */
  async probe(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    try {
      if (!this.dataSource.isInitialized) {
        await this.dataSource.initialize();
        guardCheckedOutClients(connectedPool(this.dataSource), this.logger);
        // Closed while connecting: nobody else will close this pool.
        if (this.closed) return void (await this.dataSource.destroy());
      }
      const { rows } = await connectedPool(this.dataSource).query<{ standby: boolean; replayed: string | null }>({
        name: 'baton_replica_replay',
        text: 'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      });
      const [{ standby, replayed }] = rows;
      // A server out of recovery (a promoted replica, a primary named by mistake) no longer follows DATABASE_URL.
      if (!standby || replayed === null) {
        this.markDown(Date.now(), 'it is not a hot standby (pg_is_in_recovery() is false)');
        return;
      }
      this.catchUp.replayed(walPosition(replayed));
      this.markUp();
    } catch (error) {
      this.markDown(Date.now(), describeError(error));
    } finally {
      this.probing = false;
    }
  }

  /**
   * A read on it failed. Unreachable, or silent past the client-side
   * timeout: reads skip it until a probe finds it again. Anything else (a
   * statement cancelled for a conflict with recovery) costs that read only;
   * baton_database_reads_total{reason="replica-error"} counts them.
   */
  failed(error: unknown, now: number): void {
    // isDatabaseUnavailable counts pg's "Query read timeout" too: a replica silent past its query timeout.
    if (isDatabaseUnavailable(error)) this.markDown(now, describeError(error));
    else this.logger.debug(`a read on replica ${this.name} failed (${describeError(error)}); answered from the primary`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private markUp(): void {
    if (this.state !== 'up') this.logger.log(`read replica ${this.name} is up`);
    this.state = 'up';
    this.failures = 0;
    this.retryAt = 0;
  }

  private markDown(now: number, reason: string): void {
    if (this.state !== 'down') this.logger.warn(`read replica ${this.name} is down (${reason}); its reads go to the primary`);
    this.state = 'down';
    this.catchUp.reset();
    this.retryAt = now + backoffDelay(this.failures++, DOWN_BASE_MS, DOWN_CAP_MS);
  }
}
