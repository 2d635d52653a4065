import { BaseRpcContext } from '@nestjs/microservices';
import { JobDelivery } from './job-message';

/** What to do with a delivery once Baton has dealt with it. */
export type DeliveryOutcome =
  /** Done, or a duplicate of a job already done: remove the message. */
  | { action: 'ack' }
  /** Failed with attempts to spare: send it to wait out its backoff, then remove this copy. */
  | { action: 'retry'; nextAttempt: number }
  /** Gave up, or cannot be read: send it to the dead-letter queue, then remove this copy. */
  | { action: 'dead'; reason: string }
  /** Baton's own dependencies are away: keep the message and offer it again after a pause. */
  | { action: 'pause' };

/** The message-level view of a job handed to a handler: who it is and which attempt. */
export class JobContext extends BaseRpcContext<[JobDelivery]> {
  get delivery(): JobDelivery {
    return this.getArgByIndex(0);
  }
}

/**
 * Decides what a delivery means (the job's state in the database, its
 * attempts, its payload) and runs it through `handle`. The transport only
 * carries out the outcome.
 */
export interface JobProcessor {
  process(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<DeliveryOutcome>;
  /**
   * Jobs still running when a stopping worker gives them back: their
   * attempt did not fail, so it should not count against them.
   */
  returnUnfinished(jobIds: string[]): Promise<void>;
}

export const JOB_PROCESSOR = Symbol('JobProcessor');
