import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { connected } from '../database-connector';

/**
 * Runs `work` in a transaction on one pooled connection, its statements
 * straight on the pg client, and commits what it did (a transaction that
 * found nothing to do commits nothing). The connection comes through a
 * TypeORM query runner so that closing the DataSource at shutdown cuts a
 * transaction still under way (PostgreSQL rolls it back): a job given back
 * is never half-applied behind its next delivery, and a retention batch
 * never holds the pool open.
 */
export async function inRunnerTransaction<T>(dataSource: DataSource, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const runner = connected(dataSource).createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection too broken to roll back is dropped by the runner (it listens for the client's errors).
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}
