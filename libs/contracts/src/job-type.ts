/**
 * The kinds of work Baton accepts. Each value is also the name of the job's
 * work queue and of the routing key that leads to it, so API, worker and
 * broker agree on one word per kind of work. A name here is half of a job
 * type: the other half is its definition in libs/jobs (payload, handler,
 * tables), and every process refuses to start while one lacks the other.
 */
export enum JobType {
  Workout = 'workouts',
  Invoice = 'invoices',
  Email = 'emails',
}

export const JOB_TYPES: readonly JobType[] = Object.values(JobType);

export function isJobType(value: unknown): value is JobType {
  return typeof value === 'string' && (JOB_TYPES as readonly string[]).includes(value);
}
