import { JOB_TYPES, JobType } from './job-type';

/**
 * The queue of webhook deliveries: not a job type (a delivery is no job a
 * tenant submitted), but consumed by workers like one, in a group of its
 * own where WORKER_QUEUES names it.
 */
export const WEBHOOK_DELIVERY_QUEUE = 'webhooks';

/** A queue a worker can consume: a job type's, or the webhook deliveries'. */
export type WorkerQueue = JobType | typeof WEBHOOK_DELIVERY_QUEUE;

export const WORKER_QUEUE_NAMES: readonly WorkerQueue[] = [...JOB_TYPES, WEBHOOK_DELIVERY_QUEUE];

export function isWorkerQueue(value: unknown): value is WorkerQueue {
  return typeof value === 'string' && (WORKER_QUEUE_NAMES as readonly string[]).includes(value);
}
