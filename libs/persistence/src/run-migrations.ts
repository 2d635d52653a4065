import { createDataSource, DatabaseSchema } from './data-source';

// Any constant shared by every Baton process; it names the advisory lock
// that keeps two migration runs (a Helm hook retried, two releases) apart.
const MIGRATION_LOCK_KEY = 72_616_001;

/** Applies pending migrations, each in its own transaction; returns the names applied. */
export async function runMigrations(url: string, schema: DatabaseSchema): Promise<string[]> {
  // One connection, so that the session-level advisory lock and the
  // migrations share it.
  const dataSource = await createDataSource({
    url,
    poolSize: 1,
    applicationName: 'baton-migrate',
    schema,
    // Index builds lift the server's statement_timeout and may rightly run
    // for minutes, and the advisory lock waits for another run: no client-side cut.
    queryTimeoutMs: false,
  }).initialize();
  try {
    await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
