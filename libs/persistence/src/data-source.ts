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
}

// Without these bounds a request waits on an unreachable database for the
// OS's TCP timeout (minutes); with them it fails fast and the API answers 503.
export const CONNECT_TIMEOUT_MS = 3_000;
const STATEMENT_TIMEOUT_MS = 30_000;
/**
 * A read on a standby that has not answered by then is given up, on the
 * client's side, and answered from the primary: a replica cut off without
 * a word (no RST) would otherwise hold the read until TCP gives up, minutes
 * later. The reads sent there are lookups by id, milliseconds each.
 */
const STANDBY_QUERY_TIMEOUT_MS = 2_000;

/** Baton's one way to reach PostgreSQL. Schema changes come only from migrations, never `synchronize`. */
export function createDataSource(settings: DataSourceSettings): DataSource {
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
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: STATEMENT_TIMEOUT_MS,
      keepAlive: true,
      ...(settings.standby ? { query_timeout: STANDBY_QUERY_TIMEOUT_MS } : {}),
    },
  });
}
