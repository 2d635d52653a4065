import { JobStatus, RUNNABLE_STATUSES } from '@baton/contracts';
import { DataSource } from 'typeorm';
import { connectedPool } from '../database-connector';

/** A list of statuses as SQL literals, for `status IN (...)`. */
export const quoted = (statuses: readonly JobStatus[]) => statuses.map((status) => `'${status}'`).join(', ');

/** The statuses a delivery may still take a job in. */
export const RUNNABLE = quoted(RUNNABLE_STATUSES);

/**
 * The rows a statement returns, whatever its command (TypeORM's `query()`
 * answers UPDATE with `[rows, rowCount]`). Straight on the pg pool: these
 * run once or more per job. A `name` makes it a prepared statement.
 */
export async function rows<T>(dataSource: DataSource, sql: string, parameters: unknown[], name?: string): Promise<T[]> {
  return (await connectedPool(dataSource).query<T & object>({ name, text: sql, values: parameters })).rows;
}
