import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { EventEnvelope } from '@baton/contracts';
import { JobMessage, jobMessageOf, JobPublisher } from '@baton/messaging';
import { describeError, Metrics } from '@baton/observability';
import { EventOutboxRepository, JobIntakeRepository, UnpublishedJob } from '@baton/persistence';

// A sweep leaves jobs younger than this to the request that accepted them,
// whose own publish is normally confirmed within milliseconds.
const SWEEP_MIN_AGE_MS = 2_000;
const SWEEP_BATCH = 500;
// Confirmed ids are marked published in batches: one UPDATE for many jobs.
const MARK_BATCH = 500;
const MARK_DELAY_MS = 20;

/**
 * Gets everything the outbox holds onto the broker. A job is published
 * right after its row commits; should that fail (broker away, process
 * killed), the periodic sweep publishes whatever is still unconfirmed. A
 * delayed job is published when it falls due: each sweep arms a timer for
 * the next due job (expectDue), and the sweeps themselves catch any a timer
 * missed.
 * Events, which workers record in the transactions of the effects they
 * describe, go to `baton.events` with the sweep, and so do the webhook
 * deliveries that are due, to the delivery workers' queue. Any API replica
 * sweeps; row locks keep two from publishing the same rows at once. A
 * message may so be published twice, never zero times: workers make a
 * job's second delivery harmless, subscribers deduplicate events by id,
 * and a delivery's second message is dropped at its claim.
 */
@Injectable()
export class JobRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobRelay');
  private readonly inFlight = new Set<Promise<void>>();
  private confirmed: string[] = [];
  private markTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private dueTimer?: NodeJS.Timeout;
  private dueTimerAt = Infinity;
  private relayingDue?: Promise<void>;

  constructor(
    private readonly publisher: JobPublisher,
    private readonly jobs: JobIntakeRepository,
    private readonly outbox: EventOutboxRepository,
    private readonly config: BatonConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.sweepTimer = setInterval(() => void this.sweep(), this.config.RELAY_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** Publishes a job just committed; a failure is left to the sweep. */
  dispatch(message: JobMessage): void {
    if (!this.publisher.isReady) return;
    const publish = this.publisher.publishJob(message).then(
      () => this.confirm(message),
      () => undefined,
    );
    const tracked = publish.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Publishes what earlier dispatches could not, the events, and the deliveries that are due; one sweep at a time per process. */
  sweep(): Promise<void> {
    if (!this.publisher.isReady) return Promise.resolve();
    this.sweeping ??= this.sweepAll()
      .catch((error) => this.logger.warn(`relay sweep failed: ${describeError(error)}`))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /**
   * Relays the delayed jobs due at `at` then, rather than at the next sweep,
   * if that comes first: a job is published on time, not up to
   * RELAY_INTERVAL_MS late. For the jobs this process accepts, and, after
   * each sweep, for the next job due in the database, whoever accepted it.
   */
  expectDue(at: Date): void {
    const when = at.getTime();
    if (when >= this.dueTimerAt || when - Date.now() > this.config.RELAY_INTERVAL_MS) return;
    clearTimeout(this.dueTimer);
    this.dueTimerAt = when;
    this.dueTimer = setTimeout(() => {
      this.dueTimerAt = Infinity;
      void this.relayDueJobs();
    }, Math.max(0, when - Date.now()));
    this.dueTimer.unref();
  }

  /** Relays the jobs that are due, then arms the timer for the next one. */
  private relayDueJobs(): Promise<void> {
    if (!this.publisher.isReady) return Promise.resolve();
    this.relayingDue ??= this.drain(() => this.jobs.relayDue(SWEEP_BATCH, (jobs) => this.publishBatch(jobs)))
      .then(async () => {
        const next = await this.jobs.nextDue();
        if (next) this.expectDue(next);
      })
      .catch((error) => this.logger.warn(`relaying due jobs failed: ${describeError(error)}`))
      .finally(() => (this.relayingDue = undefined));
    return this.relayingDue;
  }

  private async sweepAll(): Promise<void> {
    await this.relayDueJobs();
    await this.drain(async () => {
      const seen = await this.jobs.relayUnpublished(SWEEP_BATCH, SWEEP_MIN_AGE_MS, (jobs) => this.publishBatch(jobs));
      if (seen > 0) this.logger.log(`relayed ${seen} jobs that had not been confirmed`);
      return seen;
    });
    await this.drain(() => this.outbox.relayEvents(SWEEP_BATCH, (events) => this.publishEvents(events)));
    await this.drain(() => this.outbox.relayDueDeliveries(SWEEP_BATCH, (ids) => this.publishDeliveries(ids)));
  }

  /** Relays batch after batch while they come back full (more is owed) and the broker is there. */
  private async drain(relayBatch: () => Promise<number>): Promise<void> {
    while ((await relayBatch()) === SWEEP_BATCH && this.publisher.isReady);
  }

  private async publishBatch(jobs: UnpublishedJob[]): Promise<string[]> {
    const published = await confirmedOf(jobs, (job) => this.publisher.publishJob(jobMessageOf(job)));
    for (const job of published) this.metrics.jobsPublished.inc({ type: job.type });
    return published.map((job) => job.id);
  }

  private async publishEvents(events: EventEnvelope[]): Promise<string[]> {
    const published = await confirmedOf(events, (event) => this.publisher.publishEvent(event));
    for (const event of published) this.metrics.eventsPublished.inc({ type: event.type });
    return published.map((event) => event.id);
  }

  private publishDeliveries(ids: string[]): Promise<string[]> {
    return confirmedOf(ids, (id) => this.publisher.publishWebhookDelivery(id));
  }

  private confirm(message: JobMessage): void {
    this.metrics.jobsPublished.inc({ type: message.type });
    this.confirmed.push(message.jobId);
    if (this.confirmed.length >= MARK_BATCH) void this.markConfirmed();
    else this.markTimer ??= setTimeout(() => void this.markConfirmed(), MARK_DELAY_MS);
  }

  private async markConfirmed(): Promise<void> {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    const ids = this.confirmed;
    this.confirmed = [];
    // If this fails the jobs are merely published again by a sweep.
    await this.jobs.markPublished(ids).catch((error) => this.logger.warn(`cannot mark ${ids.length} jobs published: ${describeError(error)}`));
  }

  /** Before RabbitMQ and PostgreSQL close: finish the publishes under way and record their confirms. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearTimeout(this.dueTimer);
    await Promise.allSettled([...this.inFlight, this.sweeping, this.relayingDue]);
    await this.markConfirmed();
  }
}

/** The items whose publish the broker confirmed; the others stay owed, for a later sweep. */
async function confirmedOf<T>(items: T[], publish: (item: T) => Promise<void>): Promise<T[]> {
  const results = await Promise.allSettled(items.map(publish));
  return items.filter((_, index) => results[index].status === 'fulfilled');
}
