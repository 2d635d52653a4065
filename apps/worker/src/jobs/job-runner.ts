import { Injectable, Logger } from '@nestjs/common';
import { isUuid, JobType, WEBHOOK_DELIVERY_QUEUE } from '@baton/contracts';
import { validatePayload } from '@baton/jobs';
import { DeliveryOutcome, JobDelivery, JobProcessor } from '@baton/messaging';
import { describeError, Metrics } from '@baton/observability';
import { AttemptFailure, ClaimedJob, isDatabaseUnavailable, JobExecutionRepository } from '@baton/persistence';
import { markActiveSpanFailed } from '@baton/tracing';
import { checkMessage, claimVerdict, DeadVerdict, DeliveryVerdict, failureVerdict, giveUpVerdict, handlerVerdict, HandlerResult, payloadVerdict, readBody, Unavailable } from './delivery-decisions';

/**
 * The one place that decides what a delivery means, and so Baton's retry
 * and dead-letter policy. A delivery is taken (an attempt spent) before
 * anything else, so that even a payload that kills the process counts
 * against the job's attempts; then it is read, validated and run. The
 * decisions themselves are delivery-decisions.ts; this runs the database
 * calls and the handler between them, and logs and counts the verdict.
 */
@Injectable()
export class JobRunner implements JobProcessor {
  private readonly logger = new Logger('JobRunner');

  constructor(
    private readonly jobs: JobExecutionRepository,
    private readonly metrics: Metrics,
  ) {}

  async process(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<DeliveryOutcome> {
    if (delivery.queue === WEBHOOK_DELIVERY_QUEUE) return this.processWebhookDelivery(delivery, handle);
    const type = delivery.queue;
    const started = process.hrtime.bigint();
    this.metrics.jobsInFlight.inc({ type });
    try {
      const outcome = await this.decide(delivery, handle);
      // The delivery's process span: a dead job's last span says why it gave up.
      if (outcome.action === 'dead') markActiveSpanFailed(outcome.reason);
      if (outcome.action !== 'pause') {
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

  /**
   * A webhook delivery keeps its attempts and its retry schedule in
   * PostgreSQL (the relay publishes it again when it is due), so its message
   * is acked once the attempt is recorded, whatever the endpoint answered;
   * held while PostgreSQL is away. A message without a delivery id has
   * nothing to deliver.
   */
  private async processWebhookDelivery(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<DeliveryOutcome> {
    const read = readBody(delivery.body);
    const deliveryId = read.step === 'give-up' ? undefined : (read.body as { deliveryId?: unknown }).deliveryId;
    if (typeof deliveryId !== 'string' || !isUuid(deliveryId)) {
      this.logger.warn(`webhook delivery message ${delivery.jobId ?? '(no id)'} names no delivery; dropped`);
      return { action: 'ack' };
    }
    const outcome = await this.guard(() => handle({ deliveryId }));
    return outcome === 'unavailable' ? { action: 'pause' } : { action: 'ack' };
  }

  private async decide(delivery: JobDelivery, handle: (payload: object) => Promise<unknown>): Promise<DeliveryVerdict> {
    const queue = delivery.queue as JobType;
    const message = checkMessage(delivery);
    if ('action' in message) return this.deadLettered(delivery, message);

    const claim = claimVerdict(queue, message.jobId, await this.guard(() => this.jobs.claim(message.jobId, queue)));
    if ('action' in claim) {
      if (claim.action === 'dead') return this.deadLettered(delivery, claim);
      if (claim.action === 'ack' && claim.metric === 'duplicate') this.logger.debug('job already completed; duplicate delivery dropped');
      if (claim.action === 'ack' && claim.metric === 'cancelled') this.logger.log(`${queue} job was cancelled; delivery dropped without effect`);
      return claim;
    }
    if (claim.step === 'give-up') return this.giveUp(delivery, claim.reason);

    const read = readBody(delivery.body);
    if (read.step === 'give-up') return this.giveUp(delivery, read.reason);
    const payload = payloadVerdict(await validatePayload(queue, read.body));
    if (payload.step === 'give-up') return this.giveUp(delivery, payload.reason);

    let result: HandlerResult;
    try {
      result = { returned: await handle(payload.payload) };
    } catch (error) {
      result = { threw: error };
    }
    const handled = handlerVerdict(result);
    if ('action' in handled) {
      if (handled.action === 'ack' && handled.metric === 'completed') {
        this.metrics.jobEndToEnd.observe({ type: queue }, (Date.now() - claim.job.createdAt.getTime()) / 1000);
      }
      return handled;
    }
    if (handled.step === 'give-up') return this.giveUp(delivery, handled.reason);
    markActiveSpanFailed(handled.failure.message, 'threw' in result ? result.threw : undefined);
    return this.fail(delivery, claim.job, handled.failure);
  }

  /** Records a failed attempt: retried while attempts remain, dead-lettered once they are spent. */
  private async fail(delivery: JobDelivery, job: ClaimedJob, failure: AttemptFailure): Promise<DeliveryVerdict> {
    const verdict = failureVerdict(await this.guard(() => this.jobs.recordFailure(delivery.jobId!, failure)), job.attempts, failure);
    if (verdict.action === 'dead') this.logger.warn(`${delivery.queue} job dead after ${job.attempts} attempts: ${failure.message}`);
    if (verdict.action === 'retry') this.logger.log(`${delivery.queue} job failed attempt ${job.attempts} of ${job.maxAttempts}: ${failure.message}; will retry`);
    return verdict;
  }

  /** Marks the job dead at once (no retry can help) and dead-letters the message. */
  private async giveUp(delivery: JobDelivery, reason: string): Promise<DeliveryVerdict> {
    const verdict = giveUpVerdict(await this.guard(() => this.jobs.recordFailure(delivery.jobId!, { message: reason }, true)), reason);
    return verdict.action === 'dead' ? this.deadLettered(delivery, verdict) : verdict;
  }

  private deadLettered(delivery: JobDelivery, verdict: DeadVerdict): DeliveryVerdict {
    this.logger.warn(`dead-lettering ${delivery.queue} message ${delivery.jobId ?? '(no id)'}: ${verdict.reason}`);
    return verdict;
  }

  /** Runs a database call, turning "PostgreSQL is away" into a value the caller can wait out. */
  private async guard<T>(call: () => Promise<T>): Promise<T | Unavailable> {
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
