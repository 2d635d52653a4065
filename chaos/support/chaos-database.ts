import { Client } from 'pg';
import { storeApiKey, TEST_API_KEY } from '../../test/support/api-keys';
import { ADMIN_DATABASE_URL, uniqueName } from '../../test/support/env';
import { installSlowWorkouts } from '../../test/support/faults';
import { runCli } from '../../test/support/processes';

/**
 * The advisory lock key a crashing workout holds while it "runs", so that the
 * harness can find the PostgreSQL session (and so the worker) running it.
 */
export const CRASH_LOCK_CLASS = 72727;

/**
 * A database of one scenario's own on the real PostgreSQL, migrated by
 * Baton's own `migrate` command (as production is), holding TEST_API_KEY, and
 * with the chaos faults installed as triggers on `workouts` (Baton's code is
 * left as it is):
 * - `slow-<ms>-…` user ids sleep that long inside the worker's transaction
 *   (test/support/faults.ts), so that jobs are mid-transaction when a fault hits;
 * - `poison-…` raise an exception: a handler that always throws;
 * - `crash-<n>-…` take the advisory lock (CRASH_LOCK_CLASS, n) and sleep:
 *   the harness finds the session and SIGKILLs the worker that runs it, as
 *   a payload that crashes its process would;
 * and one on `jobs`: a workout whose notes are `accept-slow-<ms>` makes the
 * API's INSERT of its job sleep that long. The INSERT commits on its own, so
 * an API killed meanwhile leaves a job committed that no client heard of.
 *
 * It is created through test/support's helpers rather than createTestDatabase
 * so that the runner needs no `@baton/*` path aliases (see run-chaos.ts).
 */
export class ChaosDatabase {
  private monitor?: Client;

  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(label: string): Promise<ChaosDatabase> {
    const name = uniqueName(`baton_chaos_${label}`);
    await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
    const location = new URL(ADMIN_DATABASE_URL);
    location.pathname = `/${name}`;
    const db = new ChaosDatabase(name, location.toString());
    try {
      const migrated = await runCli(['migrate'], { DATABASE_URL: db.url });
      if (migrated.code !== 0) throw new Error(`baton migrate failed (exit ${migrated.code}):\n${migrated.output}`);
      await storeApiKey(db.url, { key: TEST_API_KEY });
      await installSlowWorkouts(db);
      await db.query(`
        CREATE OR REPLACE FUNCTION baton_chaos_faults() RETURNS trigger AS $$
        BEGIN
          IF NEW.user_id LIKE 'poison-%' THEN
            RAISE EXCEPTION 'chaos: poison workout %', NEW.user_id;
          ELSIF NEW.user_id LIKE 'crash-%' THEN
            PERFORM pg_advisory_xact_lock_shared(${CRASH_LOCK_CLASS}, split_part(NEW.user_id, '-', 2)::int);
            PERFORM pg_sleep(600);
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql`);
      await db.query(`CREATE TRIGGER baton_chaos_faults BEFORE INSERT ON workouts FOR EACH ROW EXECUTE FUNCTION baton_chaos_faults()`);
      await db.query(`
        CREATE OR REPLACE FUNCTION baton_chaos_slow_accept() RETURNS trigger AS $$
        BEGIN
          IF NEW.payload->>'notes' LIKE 'accept-slow-%' THEN
            PERFORM pg_sleep(split_part(NEW.payload->>'notes', '-', 3)::int / 1000.0);
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql`);
      await db.query(`CREATE TRIGGER baton_chaos_slow_accept BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION baton_chaos_slow_accept()`);
    } catch (error) {
      await db.drop().catch(() => undefined);
      throw error;
    }
    return db;
  }

  /**
   * DATABASE_URL for one Baton process: its session's application_name names
   * the process (so the harness can tell which worker runs a session), and
   * `port` sends it through a TCP proxy instead of straight to PostgreSQL.
   */
  urlFor(applicationName: string, port?: number): string {
    const location = new URL(this.url);
    if (port !== undefined) location.port = String(port);
    location.searchParams.set('application_name', applicationName);
    return location.toString();
  }

  get port(): number {
    return Number(new URL(this.url).port || 5432);
  }

  /** Runs one statement on the harness's own connection, straight to PostgreSQL (never through a proxy). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.monitor) {
      const client = new Client({ connectionString: this.urlFor('chaos-harness') });
      client.on('error', () => undefined);
      await client.connect();
      this.monitor = client;
    }
    try {
      return (await this.monitor.query(sql, params)).rows as T[];
    } catch (error) {
      // A broken monitor connection is made again on the next call.
      if (!(error as { code?: string }).code) {
        await this.monitor.end().catch(() => undefined);
        this.monitor = undefined;
      }
      throw error;
    }
  }

  async drop(): Promise<void> {
    await this.monitor?.end().catch(() => undefined);
    this.monitor = undefined;
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`));
  }
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Fails with a clear reason unless the admin database answers. */
export async function checkPostgres(): Promise<void> {
  await withAdmin((admin) => admin.query('SELECT 1')).catch((error: Error) => {
    throw new Error(`PostgreSQL at ${ADMIN_DATABASE_URL.replace(/\/\/[^@]*@/, '//***@')} cannot be reached: ${error.message}`);
  });
}
