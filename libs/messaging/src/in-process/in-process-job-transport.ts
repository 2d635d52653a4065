import { Inject, Injectable } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { isJobType, WorkerQueue } from '@baton/contracts';
import { JOB_PROCESSOR, JobProcessor } from '../job-processor';
import { JobTransport, Settlement } from '../job-transport';
import { QueuePauseWatcher } from '../queue-pause-watcher';
import { QueueRateLimiter } from '../queue-rate-limiter';
import { InProcessBroker, InProcessMessage } from './in-process-broker';

/** The job transport over the in-process broker of the embedded mode. */
@Injectable()
export class InProcessJobTransport extends JobTransport {
  private released = false;

  constructor(
    private readonly broker: InProcessBroker,
    config: BatonConfig,
    @Inject(JOB_PROCESSOR) processor: JobProcessor,
    rateLimiter: QueueRateLimiter,
    pauses: QueuePauseWatcher,
  ) {
    super(config, processor, rateLimiter, pauses);
  }

  get isConsuming(): boolean {
    return this.consumedQueues.every((type) => this.broker.isConsumed(type));
  }

  protected startConsuming(): void {
    for (const type of this.consumedQueues) this.broker.consume(type, this.config.WORKER_CONCURRENCY, (message) => this.receive(message));
    if (this.consumedQueues.length > 0) this.logger.log(`consuming ${this.consumedQueues.join(', ')} in process (concurrency ${this.config.WORKER_CONCURRENCY})`);
  }

  protected async consumeQueue(type: WorkerQueue): Promise<void> {
    if (!this.broker.isConsumed(type)) this.broker.consume(type, this.config.WORKER_CONCURRENCY, (message) => this.receive(message));
  }

  protected async cancelQueue(type: WorkerQueue): Promise<void> {
    this.broker.cancel(type);
  }

  private receive(message: InProcessMessage): void {
    const broker = this.broker;
    const transport = this;
    const settlement: Settlement = {
      get owned() {
        return !transport.released;
      },
      ack: () => broker.ack(message),
      requeue: () => broker.requeue(message),
      retry: (nextAttempt) => broker.retry(message, nextAttempt),
      deadLetter: (reason) => broker.deadLetter(message, reason),
    };
    this.deliver(
      {
        queue: message.type,
        jobId: message.jobId,
        type: isJobType(message.type) ? message.type : undefined,
        attempt: message.attempt,
        correlationId: message.correlationId,
        traceContext: message.traceContext,
        body: message.body,
        redelivered: message.deliveryCount > 0,
      },
      settlement,
    );
  }

  protected async stopConsuming(): Promise<void> {
    for (const type of this.config.WORKER_QUEUES) this.broker.cancel(type);
  }

  protected async releaseUnsettled(): Promise<void> {
    // What is still running is abandoned with the process; its job is not
    // completed in PostgreSQL, so the next start publishes it again.
    this.released = true;
  }

  unwrap<T>(): T {
    return this.broker as T;
  }
}
