import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { Client } from 'pg';
import { ADMIN_DATABASE_URL, RABBITMQ_BASE_URL } from './env';

/**
 * The suite runs against the real PostgreSQL and RabbitMQ. If either cannot
 * be reached the whole run fails here, with the reason, instead of every
 * test failing (or, worse, being skipped) one by one.
 */
export default async function globalSetup(): Promise<void> {
  const problems: string[] = [];
  const pg = new Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (error) {
    problems.push(`PostgreSQL at ${ADMIN_DATABASE_URL}: ${(error as Error).message}`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  try {
    const connection = await amqp.connect(RABBITMQ_BASE_URL, { timeout: 5000 });
    await connection.close();
  } catch (error) {
    problems.push(`RabbitMQ at ${RABBITMQ_BASE_URL.replace(/\/\/[^@]*@/, '//***@')}: ${(error as Error).message}`);
  }
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'apps', 'api', 'src', 'main.js'))) {
    problems.push('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  if (problems.length > 0) throw new Error(`The test suite needs real services:\n  ${problems.join('\n  ')}`);
}
