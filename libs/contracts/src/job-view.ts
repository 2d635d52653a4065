import { JobStatus } from './job-status';
import { JobType } from './job-type';

/** One failed attempt of a job, as stored. */
export interface AttemptErrorRecord {
  attempt: number;
  /** ISO 8601. */
  at: string;
  message: string;
  stack?: string;
}

/** What a job's public view is made of: its stored columns (a JobEntity, or a row read in a transaction). */
export interface JobRecord {
  id: string;
  type: JobType;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  result: Record<string, unknown> | null;
  lastError: string | null;
  errors: readonly AttemptErrorRecord[];
  /** When a delayed job, or a schedule's tick, is due; null for a job that ran at once. */
  runAt: Date | null;
  /** The schedule that created the job, if one did. */
  scheduleId: string | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

/**
 * A job as clients see it: `GET /v1/jobs/:id`, and the `data` of every
 * `job.*` event. `withStacks` adds each failed attempt's stack (for the
 * tenant's operators; events never carry them).
 */
export function jobView(job: JobRecord, withStacks = false) {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    result: job.result,
    error: job.lastError,
    errors: job.errors.map(({ attempt, at, message, stack }) => (withStacks && stack ? { attempt, at, message, stack } : { attempt, at, message })),
    runAt: job.runAt?.toISOString() ?? null,
    scheduleId: job.scheduleId,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    completedAt: job.completedAt?.toISOString() ?? null,
  };
}

export type JobView = ReturnType<typeof jobView>;
