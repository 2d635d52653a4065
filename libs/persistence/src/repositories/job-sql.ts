import { AttemptErrorRecord, JobRecord, JobStatus, JobType, RUNNABLE_STATUSES } from '@baton/contracts';
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

/** A job's row as statements return it (RETURNING ${JOB_RECORD_COLUMNS}). */
export interface JobRow {
  id: string;
  type: JobType;
  tenant: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  result: Record<string, unknown> | null;
  last_error: string | null;
  errors: AttemptErrorRecord[];
  correlation_id: string | null;
  run_at: Date | null;
  schedule_id: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

/** The columns of a JobRow. */
export const JOB_RECORD_COLUMNS = 'id, type, tenant, status, attempts, max_attempts, result, last_error, errors, correlation_id, run_at, schedule_id, created_at, updated_at, completed_at';

export function jobRecordOf(row: JobRow): JobRecord {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    result: row.result,
    lastError: row.last_error,
    errors: row.errors,
    runAt: row.run_at,
    scheduleId: row.schedule_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}
