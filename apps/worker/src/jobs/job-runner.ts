import { Injectable, Logger } from '@nestjs/common';
import { JobStatus, validatePayload } from '@baton/contracts';
import { DeliveryOutcome, JobDelivery, JobProcessor } from '@baton/messaging';
import { isDatabaseUnavailable, JobRepository } from '@baton/persistence';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one place that decides what a delivery means, and so Baton's retry
 * and dead-letter policy. A delivery is taken (an attempt spent) before
 * anything else, so that even a payload that kills the process counts
 * against the job's attempts; then it is read, validated and run.
 */
@Injectable()
export class JobRunner implements JobProcessor {
  private readonly logger = new Logger('JobRunner');

  constructor(private readonly jobs: JobRepository) {}

  async process(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<DeliveryOutcome> {
    const { jobId, queue } = delivery;
    if (!jobId || !UUID.test(jobId)) return this.dead(delivery, 'message has no job id (a UUID in its messageId property)');
    if (delivery.type && delivery.type !== queue) return this.dead(delivery, `message of type ${delivery.type} on queue ${queue}`);

    const claimed = await this.guard(() => this.jobs.claim(jobId, queue));
    if (claimed === 'unavailable') return { action: 'pause' };
    if (!claimed) return this.dead(delivery, `no ${queue} job with id ${jobId}`);
    if (claimed.status === JobStatus.Completed) {
      this.logger.debug(`job ${jobId} already completed; duplicate delivery dropped`);
      return { action: 'ack' };
    }
    if (claimed.status === JobStatus.Dead) return this.dead(delivery, 'job is dead');
    if (claimed.attempts > claimed.maxAttempts) {
      // Only a delivery that never reported back (its worker died) gets here.
      return this.giveUp(delivery, `gave up after ${claimed.maxAttempts} attempts; the last ones ended with their worker`);
    }

    const body = parseJson(delivery.body);
    if (body === undefined) return this.giveUp(delivery, 'message body is not valid JSON');
    const check = await validatePayload(queue, body);
    if (!check.valid) {
      return this.giveUp(delivery, `invalid payload: ${check.errors.map((e) => `${e.field} ${e.messages.join(', ')}`).join('; ')}`);
    }

    try {
      await handle(check.payload);
      return { action: 'ack' };
    } catch (error) {
      if (isDatabaseUnavailable(error)) return { action: 'pause' };
      const reason = error instanceof Error ? error.message || error.name : String(error);
      const status = await this.guard(() => this.jobs.recordFailure(jobId, reason));
      if (status === 'unavailable') return { action: 'pause' };
      if (status === null) return { action: 'ack' };
      if (status === JobStatus.Dead) {
        this.logger.warn(`job ${jobId} is dead after ${claimed.attempts} attempts: ${reason}`);
        return { action: 'dead', reason };
      }
      this.logger.log(`job ${jobId} failed attempt ${claimed.attempts} of ${claimed.maxAttempts}: ${reason}; will retry`);
      return { action: 'retry', nextAttempt: claimed.attempts + 1 };
    }
  }

  /** Marks the job dead at once (no retry can help) and dead-letters the message. */
  private async giveUp(delivery: JobDelivery, reason: string): Promise<DeliveryOutcome> {
    const status = await this.guard(() => this.jobs.recordFailure(delivery.jobId!, reason, true));
    if (status === 'unavailable') return { action: 'pause' };
    return this.dead(delivery, reason);
  }

  private dead(delivery: JobDelivery, reason: string): DeliveryOutcome {
    this.logger.warn(`dead-lettering ${delivery.queue} message ${delivery.jobId ?? '(no id)'}: ${reason}`);
    return { action: 'dead', reason };
  }

  /** Runs a database call, turning "PostgreSQL is away" into a value the caller can wait out. */
  private async guard<T>(call: () => Promise<T>): Promise<T | 'unavailable'> {
    try {
      return await call();
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        this.logger.warn('PostgreSQL unavailable; holding the delivery');
        return 'unavailable';
      }
      throw error;
    }
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
