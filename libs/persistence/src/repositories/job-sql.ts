import { AttemptErrorRecord, JobRecord, JobStatus, JobType, RUNNABLE_STATUSES } from '@baton/contracts';
import { DataSource } from 'typeorm';
import { connectedPool } from '../database-connector';

/** A list of statuses as SQL literals, for `status IN (...)`. */
export const quoted = (statuses: readonly JobStatus[]) => statuses.map((status) => `'${status}'`).join(', ');

/**
 * The FROM clause that gives each type of `$1` its oldest queued job's due
 * time, `oldest.due` (null when none waits): a delayed job's run_at, else
 * its creation. It repeats jobs_pending_due_idx's expression and order word
 * for word, so that each type is one index probe however many jobs wait. A
 * `failed` job waiting for its retry is left out: its next attempt's due
 * time is not stored, and it is not due until its retry delay has passed.
 * `narrowing`: more conditions on the job `j` (`AND j.tenant = $2`).
 */
export const oldestQueuedPerType = (narrowing = '') => `
  FROM unnest($1::text[]) AS t(type)
  LEFT JOIN LATERAL (
    SELECT coalesce(j.run_at, j.created_at) AS due FROM jobs j
    WHERE j.type = t.type AND j.status = '${JobStatus.Queued}' ${narrowing}
    ORDER BY coalesce(j.run_at, j.created_at)
    LIMIT 1
  ) oldest ON true`;

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
