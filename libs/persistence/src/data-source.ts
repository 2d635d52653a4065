import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { CORE_ENTITIES } from './entities';
import { CORE_MIGRATIONS } from './migrations';

/** The tables a process maps and the migrations that make them: the core's and every job type's. */
export interface DatabaseSchema {
  entities: Function[];
  migrations: Function[];
}

/** The core's part of the schema; libs/jobs adds the job types' (BATON_SCHEMA). */
export const CORE_SCHEMA: DatabaseSchema = { entities: CORE_ENTITIES, migrations: CORE_MIGRATIONS };

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  applicationName: string;
  schema: DatabaseSchema;
  /** A hot standby (DATABASE_READ_URL): read-only, so nothing is installed on connecting. */
  standby?: boolean;
  /** DATABASE_STATEMENT_TIMEOUT_MS: the server's bound on a statement. */
  statementTimeoutMs?: number;
  /**
   * DATABASE_QUERY_TIMEOUT_MS: the client's bound on a statement's answer;
   * `false` for none, for migrations, whose index builds lift the server's
   * bound and may rightly run for minutes.
   */
  queryTimeoutMs?: number | false;
}

// Without these bounds a request waits on an unreachable database for the
// OS's TCP timeout (minutes); with them it fails fast and the API answers 503.
export const CONNECT_TIMEOUT_MS = 3_000;
/** DATABASE_STATEMENT_TIMEOUT_MS's and DATABASE_QUERY_TIMEOUT_MS's defaults (libs/config), for callers without a config. */
const STATEMENT_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 35_000;
/**
 * TCP keepalive starts probing a connection idle this long, instead of the
 * OS's two hours. Node sets only the idle time (TCP_KEEPIDLE); the probes'
 * interval and count stay the OS's (75 s × 9 on Linux), so an idle pooled
 * connection behind a partition is dropped within about 11.5 minutes. A
 * connection with a statement in flight sends no keepalives at all (its
 * retransmissions run instead, for up to about 15 minutes): there the
 * query timeout is what answers, and Node offers no TCP_USER_TIMEOUT.
 */
export const KEEPALIVE_DELAY_MS = 10_000;
/**
 * A read on a standby that has not answered by then is given up, on the
 * client's side, and answered from the primary: a replica cut off without
 * a word (no RST) would otherwise hold the read until TCP gives up, minutes
 * later. The reads sent there are lookups by id, milliseconds each.
 */
const STANDBY_QUERY_TIMEOUT_MS = 2_000;

/** What pg says when a statement outlives query_timeout. */
const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

/**
 * A pg client that closes its connection when a statement outlives
 * query_timeout. pg gives up on the answer but keeps the connection, and the
 * pool would lend it again in a state nobody knows: the statement may still
 * run once the network is back (a BEGIN, say), while the ROLLBACK queued
 * behind it was dropped unsent when its own timeout ran out, so the next
 * borrower would run inside a transaction it never began, its writes
 * committed or rolled back by somebody else's statements. Closed, the
 * server rolls back whatever was open, and the pool makes a new connection.
 */
export class DiscardOnTimeoutClient extends Client {
  override query(...args: any[]): any {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) => {
        this.discardIfTimedOut(error);
        callback(error, result);
      };
      return (super.query as (...all: any[]) => unknown)(...args);
    }
    const outcome = (super.query as (...all: any[]) => any)(...args);
    // Attached before the caller's own handler, so the connection is gone before the caller sends anything else on it.
    if (typeof outcome?.then === 'function') outcome.then(undefined, (error: unknown) => this.discardIfTimedOut(error));
    return outcome;
  }

  private discardIfTimedOut(error: unknown): void {
    if ((error as Error | undefined)?.message !== QUERY_TIMEOUT_MESSAGE) return;
    (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}

/** Baton's one way to reach PostgreSQL. Schema changes come only from migrations, never `synchronize`. */
export function createDataSource(settings: DataSourceSettings): DataSource {
  const statementTimeoutMs = settings.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
  const queryTimeoutMs = settings.standby ? STANDBY_QUERY_TIMEOUT_MS : (settings.queryTimeoutMs ?? QUERY_TIMEOUT_MS);
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    entities: settings.schema.entities,
    migrations: settings.schema.migrations,
    migrationsTableName: 'baton_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    applicationName: settings.applicationName,
    installExtensions: !settings.standby,
    extra: {
      max: settings.poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: statementTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      ...(queryTimeoutMs === false ? {} : { query_timeout: queryTimeoutMs, Client: DiscardOnTimeoutClient }),
    },
  });
}
