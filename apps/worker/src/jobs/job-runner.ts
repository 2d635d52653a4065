import { Injectable, Logger } from '@nestjs/common';
import { isUuid, JobStatus, JobType, validatePayload } from '@baton/contracts';
import { DeliveryOutcome, JobDelivery, JobProcessor } from '@baton/messaging';
import { describeError, Metrics } from '@baton/observability';
import { isDatabaseUnavailable, JobRepository } from '@baton/persistence';

type Outcome = DeliveryOutcome & { metric?: 'completed' | 'duplicate' | 'retry' | 'dead' | 'cancelled' };

/**
 * The one place that decides what a delivery means, and so Baton's retry
 * and dead-letter policy. A delivery is taken (an attempt spent) before
 * anything else, so that even a payload that kills the process counts
 * against the job's attempts; then it is read, validated and run.
 */
@Injectable()
export class JobRunner implements JobProcessor {
  private readonly logger = new Logger('JobRunner');

  constructor(
    private readonly jobs: JobRepository,
    private readonly metrics: Metrics,
  ) {}

  async process(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<DeliveryOutcome> {
    const type = delivery.queue;
    const started = process.hrtime.bigint();
    this.metrics.jobsInFlight.inc({ type });
    try {
      const outcome = await this.decide(delivery, handle);
      if (outcome.metric) {
        this.metrics.jobDuration.observe({ type, outcome: outcome.metric }, Number(process.hrtime.bigint() - started) / 1e9);
        if (outcome.metric === 'completed') this.metrics.jobsCompleted.inc({ type });
        if (outcome.metric === 'retry') this.metrics.jobsFailed.inc({ type });
        if (outcome.metric === 'dead') this.metrics.jobsDead.inc({ type });
      }
      return outcome;
    } finally {
      this.metrics.jobsInFlight.dec({ type });
    }
  }

  async returnUnfinished(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    try {
      const returned = await this.jobs.returnAttempts(jobIds);
      this.logger.log(`gave back ${returned} of ${jobIds.length} unfinished jobs without spending their attempt`);
    } catch (error) {
      this.logger.warn(`could not give back the attempts of ${jobIds.length} unfinished jobs: ${describeError(error)}`);
    }
  }

  private async decide(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<Outcome> {
    const { jobId, queue } = delivery;
    if (!jobId || !isUuid(jobId)) return this.dead(delivery, 'message has no job id (a UUID in its messageId property)');
    if (delivery.type && delivery.type !== queue) return this.dead(delivery, `message of type ${delivery.type} on queue ${queue}`);

    const claimed = await this.guard(() => this.jobs.claim(jobId, queue));
    if (claimed === 'unavailable') return { action: 'pause' };
    if (!claimed) return this.dead(delivery, `no ${queue} job with id ${jobId}`);
    if (claimed.status === JobStatus.Completed) {
      this.logger.debug('job already completed; duplicate delivery dropped');
      return { action: 'ack', metric: 'duplicate' };
    }
    if (claimed.status === JobStatus.Dead) return this.dead(delivery, 'job is dead');
    if (claimed.status === JobStatus.Cancelled) {
      this.logger.log(`${queue} job was cancelled; delivery dropped without effect`);
      return { action: 'ack', metric: 'cancelled' };
    }
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
      const applied = await handle(check.payload);
      if (applied === false) return { action: 'ack', metric: 'duplicate' };
      this.metrics.jobEndToEnd.observe({ type: queue }, (Date.now() - claimed.createdAt.getTime()) / 1000);
      return { action: 'ack', metric: 'completed' };
    } catch (error) {
      if (isDatabaseUnavailable(error)) return { action: 'pause' };
      return this.fail(delivery, queue, claimed.attempts, claimed.maxAttempts, error);
    }
  }

  private async fail(delivery: JobDelivery, type: JobType, attempts: number, maxAttempts: number, error: unknown): Promise<Outcome> {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    const status = await this.guard(() => this.jobs.recordFailure(delivery.jobId!, { message: reason, stack }));
    if (status === 'unavailable') return { action: 'pause' };
    // Null: a concurrent delivery of the same job finished it meanwhile.
    if (status === null) return { action: 'ack', metric: 'duplicate' };
    if (status === JobStatus.Dead) {
      this.logger.warn(`${type} job dead after ${attempts} attempts: ${reason}`);
      return { action: 'dead', reason, metric: 'dead' };
    }
    this.logger.log(`${type} job failed attempt ${attempts} of ${maxAttempts}: ${reason}; will retry`);
    return { action: 'retry', nextAttempt: attempts + 1, metric: 'retry' };
  }

  /** Marks the job dead at once (no retry can help) and dead-letters the message. */
  private async giveUp(delivery: JobDelivery, reason: string): Promise<Outcome> {
    const status = await this.guard(() => this.jobs.recordFailure(delivery.jobId!, { message: reason }, true));
    if (status === 'unavailable') return { action: 'pause' };
    return this.dead(delivery, reason);
  }

  private dead(delivery: JobDelivery, reason: string): Outcome {
    this.logger.warn(`dead-lettering ${delivery.queue} message ${delivery.jobId ?? '(no id)'}: ${reason}`);
    return { action: 'dead', reason, metric: 'dead' };
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

// As strict as the API: bytes that are not UTF-8 are refused, not replaced with U+FFFD.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON; undefined when it is not valid UTF-8 JSON. Keys such as __proto__ are refused later, by validatePayload. */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(STRICT_UTF8.decode(body));
  } catch {
    return undefined;
  }
}
