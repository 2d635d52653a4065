import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { BatonConfig } from '@baton/config';
import { WorkerQueue } from '@baton/contracts';
import { describeError, runWithLogContext } from '@baton/observability';
import { backoffDelay, sleep } from '@baton/resilience';
import { inProcessSpan } from '@baton/tracing';
import { JobDelivery } from './job-message';
import { DeliveryOutcome, JobContext, JobProcessor } from './job-processor';
import { QueuePauseWatcher } from './queue-pause-watcher';
import { QueueRateLimiter } from './queue-rate-limiter';
import { IsolationGate, Semaphore } from './semaphore';

const PAUSE_BASE_MS = 500;
const PAUSE_CAP_MS = 15_000;
// Handing back the attempts of unfinished jobs must not hold up a shutdown.
const RETURN_TIMEOUT_MS = 2_000;

/** How the broker that delivered a message settles it. */
export interface Settlement {
  /** False once the message can no longer be settled here (its channel closed: the broker has it back). */
  readonly owned: boolean;
  ack(): void;
  /** Back to its queue, for another delivery. */
  requeue(): void;
  /** Into the delay queue for the next attempt; resolves once the broker has it. */
  retry(nextAttempt: number): Promise<void>;
  /** Into the dead-letter queue with the reason; resolves once the broker has it. */
  deadLetter(reason: string): Promise<void>;
}

/**
 * The worker's transport, as a NestJS microservice strategy: deliveries from
 * the queues named by WORKER_QUEUES go through the JobProcessor and the
 * `@EventPattern(jobType)` handler, and each message is settled only after
 * the job's outcome is safe (committed, or republished and confirmed).
 *
 * Two brokers implement it: RabbitMQ, and the in-process queue of the
 * embedded mode. Nest's built-in RMQ transport acks on receipt or leaves it
 * to handlers and knows nothing of retries or dead letters; hence this.
 */
export abstract class JobTransport extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('JobConsumer');
  private readonly slots: Semaphore;
  /**
   * A redelivered job runs alone in the process. A payload that kills its
   * worker kills every job running beside it, and they come back together,
   * often to the same next worker: each such crash would spend an attempt of
   * every bystander, and a job with no fault of its own could end dead.
   * Alone, a job that crashes its worker spends only its own attempts; the
   * others wait, not yet taken, so they spend none.
   */
  private readonly isolation = new IsolationGate();
  private readonly inFlight = new Set<Promise<void>>();
  /** Ids of the jobs being processed now (taken, not yet settled). */
  private readonly running = new Set<string>();
  /** Fires when shutdown begins: jobs waiting for their turn under a rate limit are handed back, not started. */
  private readonly stopping = new AbortController();
  /** The served queues an operator paused, as last read; consumption starts only once it is known. */
  private paused = new Set<WorkerQueue>();
  /** The queues whose consumer this process has cancelled (or never attached) for a pause; behind `paused` while a cancel or consume fails. */
  private applied = new Set<WorkerQueue>();
  private started = false;

  constructor(
    protected readonly config: BatonConfig,
    private readonly processor: JobProcessor,
    private readonly rateLimiter: QueueRateLimiter,
    private readonly pauses: QueuePauseWatcher,
  ) {
    super();
    this.slots = new Semaphore(config.WORKER_CONCURRENCY);
  }

  /** True while a consumer is attached to every queue this process serves and that is not paused. */
  abstract get isConsuming(): boolean;

  /** Starts consuming the configured queues that are not paused (and keeps doing so across reconnections). */
  protected abstract startConsuming(): void;

  /** Stops new deliveries; deliveries in flight continue. */
  protected abstract stopConsuming(): Promise<void>;

  /** Stops new deliveries from one queue; its deliveries already received are run and settled as usual. */
  protected abstract cancelQueue(queue: WorkerQueue): Promise<void>;

  /** Consumes one queue again, if it is not consumed already. */
  protected abstract consumeQueue(queue: WorkerQueue): Promise<void>;

  /** After the drain: gives back whatever was not settled. */
  protected abstract releaseUnsettled(): Promise<void>;

  /** True once shutdown has begun. */
  protected get closing(): boolean {
    return this.stopping.signal.aborted;
  }

  /** For readiness probes: throws, naming the queues, unless every configured queue has its consumer. A paused queue needs none: paused is not unhealthy. */
  assertConsuming(): void {
    if (!this.started) throw new Error(`not consuming ${this.config.WORKER_QUEUES.join(', ')} yet: paused queues not read`);
    if (!this.isConsuming) throw new Error(`not consuming ${this.consumedQueues.join(', ')}`);
  }

  /** The configured queues that are not paused: those this process should consume now. */
  protected get consumedQueues(): WorkerQueue[] {
    return this.config.WORKER_QUEUES.filter((queue) => !this.paused.has(queue));
  }

  protected isPaused(queue: WorkerQueue): boolean {
    return this.paused.has(queue);
  }

  get jobsInFlight(): number {
    return this.inFlight.size;
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      this.checkHandlers();
    } catch (error) {
      callback(error);
      return;
    }
    this.pauses.watch((paused) => this.applyPauses(paused));
    callback();
  }

  /**
   * The first read starts consumption of the queues not paused; later reads
   * cancel the consumers of newly paused queues and consume the resumed ones.
   * Deliveries a paused queue already gave this process, running or
   * prefetched, are run to their end: handing the prefetched ones back
   * would only leave them in a queue nobody consumes, and they are few
   * (WORKER_CONCURRENCY at most).
   */
  private async applyPauses(read: ReadonlySet<string>): Promise<void> {
    if (this.closing) return;
    this.paused = new Set(this.config.WORKER_QUEUES.filter((queue) => read.has(queue)));
    if (!this.started) {
      this.started = true;
      this.applied = new Set(this.paused);
      if (this.paused.size > 0) this.logger.log(`paused, so not consumed: ${[...this.paused].join(', ')}`);
      this.startConsuming();
      return;
    }
    for (const queue of this.config.WORKER_QUEUES) {
      if (this.paused.has(queue) && !this.applied.has(queue)) {
        await this.cancelQueue(queue);
        this.applied.add(queue);
        this.logger.log(`queue ${queue} paused: taking no new deliveries from it, finishing those it holds`);
      } else if (!this.paused.has(queue) && this.applied.has(queue)) {
        await this.consumeQueue(queue);
        this.applied.delete(queue);
        this.logger.log(`queue ${queue} resumed: consuming it again`);
      }
    }
  }

  /** Every queue served needs exactly one handler; a missing or doubled one is a start-up error. */
  private checkHandlers(): void {
    for (const queue of this.config.WORKER_QUEUES) {
      const handler = this.messageHandlers.get(queue);
      if (!handler) throw new Error(`WORKER_QUEUES includes "${queue}", but no handler for it is registered: its worker module needs a class marked @JobHandler('${queue}')`);
      if (handler.next) throw new Error(`two handlers for job type "${queue}": exactly one class may be marked @JobHandler('${queue}')`);
    }
  }

  /** Runs one delivery to its settlement, within the concurrency limit and a log context naming the job. */
  protected deliver(delivery: JobDelivery, settlement: Settlement): void {
    const context = { correlationId: delivery.correlationId, jobId: delivery.jobId, jobType: delivery.queue };
    const work = runWithLogContext(context, () => this.run(delivery, settlement)).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async run(delivery: JobDelivery, settlement: Settlement): Promise<void> {
    await this.slots.acquire();
    await (delivery.redelivered ? this.isolation.enterAlone() : this.isolation.enterTogether());
    try {
      // Prefetched while others ran, and shutdown began meanwhile: not started, so given back at once.
      if (this.closing || !(await this.rateLimiter.waitForTurn(delivery.queue, this.stopping.signal)) || this.closing) {
        if (settlement.owned) settlement.requeue();
        return;
      }
      if (delivery.redelivered) this.logger.debug(`${delivery.queue} job redelivered: running it alone`);
      if (delivery.jobId) this.running.add(delivery.jobId);
      // A child of the publish span the message's headers name; the job runner marks it failed or dead.
      await inProcessSpan({ destination: delivery.queue, messageId: delivery.jobId, attempt: delivery.attempt }, delivery.traceContext, () => this.work(delivery, settlement));
    } catch (error) {
      // Not the job's failure but Baton's (a bug, an unexpected database
      // error): back to the queue after a pause, never in a hot loop; the
      // queue's delivery limit ends a message that keeps doing this.
      this.logger.error(`delivery of ${delivery.queue} job ${delivery.jobId ?? '?'} failed: ${describeError(error)}`);
      await sleep(backoffDelay(0, PAUSE_BASE_MS, PAUSE_CAP_MS));
      if (settlement.owned) settlement.requeue();
    } finally {
      if (delivery.jobId) this.running.delete(delivery.jobId);
      this.isolation.leave();
      this.slots.release();
    }
  }

  /** Processes a delivery, through pauses while PostgreSQL is away, and settles it. */
  private async work(delivery: JobDelivery, settlement: Settlement): Promise<void> {
    for (let pause = 0; ; pause++) {
      const outcome = await this.processor.process(delivery, (payload) => this.invokeHandler(delivery.queue, payload, delivery));
      if (outcome.action !== 'pause') {
        await this.settle(delivery, settlement, outcome);
        return;
      }
      if (this.closing || !settlement.owned) break;
      await sleep(backoffDelay(pause, PAUSE_BASE_MS, PAUSE_CAP_MS));
    }
    // Shutting down while the database is away: give the job back.
    if (settlement.owned) settlement.requeue();
  }

  private async invokeHandler(type: WorkerQueue, payload: object, delivery: JobDelivery): Promise<unknown> {
    const handler = this.messageHandlers.get(type)!;
    const result = await handler(payload, new JobContext([delivery]));
    return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private async settle(delivery: JobDelivery, settlement: Settlement, outcome: Exclude<DeliveryOutcome, { action: 'pause' }>): Promise<void> {
    if (!settlement.owned) return;
    if (outcome.action === 'ack') {
      settlement.ack();
      return;
    }
    try {
      if (outcome.action === 'retry') await settlement.retry(outcome.nextAttempt);
      else await settlement.deadLetter(outcome.reason);
      if (settlement.owned) settlement.ack();
    } catch (error) {
      // Not republished, so this copy must stay: back to the queue.
      this.logger.warn(`cannot republish job ${delivery.jobId ?? '?'} (${describeError(error)}); returning it to the queue`);
      if (settlement.owned) settlement.requeue();
    }
  }

  /**
   * Stops taking deliveries, then gives the jobs in flight until
   * SHUTDOWN_TIMEOUT_MS to settle. Whatever is still unsettled then goes back
   * to the queue; its transaction either committed (the redelivery finds the
   * job completed) or never will.
   */
  async close(): Promise<void> {
    this.stopping.abort();
    this.pauses.stop();
    await this.stopConsuming();
    const pending = this.inFlight.size;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.config.SHUTDOWN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn(`${this.inFlight.size} of ${pending} jobs still running at shutdown; returning them to the queue`);
      // Given back through no fault of theirs: without this, enough rolling restarts would make a long job dead.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        this.processor.returnUnfinished([...this.running]).catch(() => undefined),
        new Promise<void>((resolve) => (bound = setTimeout(resolve, RETURN_TIMEOUT_MS))),
      ]);
      clearTimeout(bound);
    }
    await this.releaseUnsettled();
  }

  on(): never {
    throw new Error('job transports do not emit events');
  }
}
