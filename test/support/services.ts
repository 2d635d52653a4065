import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { BATON_SCHEMA } from '@baton/jobs';
import { createDataSource, runMigrations } from '@baton/persistence';
import type { DataSource } from 'typeorm';
import { storeApiKey, TEST_API_KEY } from './api-keys';
import { startEmbeddedDatabase } from './embedded-database';
import { ADMIN_DATABASE_URL, RABBITMQ_BASE_URL, RABBITMQ_USER, RABBITMQCTL, uniqueName } from './env';
import { testMode } from './mode';
import { queryOnce } from './query-once';

const run = promisify(execFile);

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one statement on a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh database of its own, migrated (unless `migrate: false`) and holding
 * the admin key TEST_API_KEY that the HTTP helpers send, for one suite: a database on the real PostgreSQL in services mode; in embedded
 * mode an embedded PostgreSQL (PGlite) of its own, started in this process
 * on a fresh directory, which `drop()` stops and removes.
 */
export async function createTestDatabase(prefix = 'baton_test', options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  let url: string;
  let drop: () => Promise<void>;
  if (testMode() === 'embedded') {
    const embedded = await startEmbeddedDatabase(name);
    url = embedded.url;
    drop = () => embedded.stop();
  } else {
    await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
    const location = new URL(ADMIN_DATABASE_URL);
    location.pathname = `/${name}`;
    url = location.toString();
    drop = () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined);
  }
  try {
    if (options.migrate !== false) await migrateTestDatabase(url);
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return {
    name,
    url,
    query: (sql, params) => queryOnce(url, sql, params),
    drop,
  };
}

/** Baton's migrations on the database at `url`, and the admin key TEST_API_KEY that the HTTP helpers send. */
export async function migrateTestDatabase(url: string): Promise<void> {
  await runMigrations(url, BATON_SCHEMA);
  await storeApiKey(url, { key: TEST_API_KEY });
}

export { queryOnce } from './query-once';

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * The suite's own vhost in services mode; none in embedded mode, where jobs
 * travel through the standalone process's in-process queue.
 */
export async function createTestBroker(prefix = 'baton_test'): Promise<TestVhost | undefined> {
  return testMode() === 'services' ? createTestVhost(prefix) : undefined;
}

/** DATABASE_URL, and RABBITMQ_URL when there is a broker: what startBaton needs. */
export function batonEnv(db: { url: string }, vhost: TestVhost | undefined): Record<string, string> {
  return vhost ? { DATABASE_URL: db.url, RABBITMQ_URL: vhost.url } : { DATABASE_URL: db.url };
}

export interface TestVhost {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh RabbitMQ virtual host of its own (exchanges and queues are per vhost), for one suite. Services mode only. */
export async function createTestVhost(prefix = 'baton_test'): Promise<TestVhost> {
  if (testMode() !== 'services') throw new Error('there is no RabbitMQ in embedded mode: put tests that need one under describeWithServices or itWithServices');
  const name = uniqueName(prefix);
  await run(RABBITMQCTL, ['add_vhost', name]);
  await run(RABBITMQCTL, ['set_permissions', '-p', name, RABBITMQ_USER, '.*', '.*', '.*']);
  return {
    name,
    url: `${RABBITMQ_BASE_URL.replace(/\/$/, '')}/${encodeURIComponent(name)}`,
    drop: async () => {
      await run(RABBITMQCTL, ['delete_vhost', name]).catch(() => undefined);
    },
  };
}

/** A test database of its own (see createTestDatabase) and a DataSource on it with Baton's whole schema; `close()` undoes both. */
export async function openTestDataSource(prefix: string): Promise<{ db: TestDatabase; ds: DataSource; close(): Promise<void> }> {
  const db = await createTestDatabase(prefix);
  const ds = await createDataSource({ url: db.url, poolSize: 20, applicationName: `${prefix}-test`, schema: BATON_SCHEMA })
    .initialize()
    .catch(async (error: unknown) => {
      await db.drop();
      throw error;
    });
  return {
    db,
    ds,
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    },
  };
}
