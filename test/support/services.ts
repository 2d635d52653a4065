import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { runMigrations } from '@baton/persistence';
import { ADMIN_DATABASE_URL, RABBITMQ_BASE_URL, RABBITMQ_USER, RABBITMQCTL, uniqueName } from './env';

const run = promisify(execFile);

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs one statement on a short-lived connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database of its own, migrated, for one suite. */
export async function createTestDatabase(prefix = 'baton_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    name,
    url: url.toString(),
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

export interface TestVhost {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh RabbitMQ virtual host of its own (exchanges and queues are per vhost), for one suite. */
export async function createTestVhost(prefix = 'baton_test'): Promise<TestVhost> {
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
