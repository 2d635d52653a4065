import { Client } from 'pg';

/** Runs one statement on a short-lived connection to `url`. Free of Baton's path aliases, so that the bench's plain ts-node can load it. */
export async function queryOnce<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
