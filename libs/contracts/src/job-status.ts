/**
 * A job's life: `scheduled` while it waits for its `runAt` (a delayed job,
 * or a schedule's tick not yet due), `queued` until a worker takes it, `processing` while one
 * runs it, then `completed`; `failed` while it waits for a retry and `dead`
 * once its attempts are spent (or its message could not be read);
 * `cancelled` when cancelled before a worker took it.
 */
export enum JobStatus {
  Scheduled = 'scheduled',
  Queued = 'queued',
  Processing = 'processing',
  Completed = 'completed',
  Failed = 'failed',
  Dead = 'dead',
  Cancelled = 'cancelled',
}

export const JOB_STATUSES: readonly JobStatus[] = Object.values(JobStatus);

/** States in which a delivery of the job may still have an effect. */
export const RUNNABLE_STATUSES: readonly JobStatus[] = [JobStatus.Queued, JobStatus.Processing, JobStatus.Failed];

/** States from which a job can still be cancelled: no worker holds it. */
export const CANCELLABLE_STATUSES: readonly JobStatus[] = [JobStatus.Scheduled, JobStatus.Queued, JobStatus.Failed];
