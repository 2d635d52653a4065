import { JobStatus } from './job-status';

/**
 * The statuses retention deletes a job in, once it has been in one long
 * enough (JOB_RETENTION_*_SEC): finished for good. A job that may still run
 * (queued, processing, failed and waiting for its retry) is never deleted.
 */
export const EXPIRING_STATUSES = [JobStatus.Completed, JobStatus.Dead, JobStatus.Cancelled] as const;
export type ExpiringStatus = (typeof EXPIRING_STATUSES)[number];

export function isExpiringStatus(value: unknown): value is ExpiringStatus {
  return (EXPIRING_STATUSES as readonly unknown[]).includes(value);
}
