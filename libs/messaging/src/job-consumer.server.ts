import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { BatonConfig } from '@baton/config';
import { JobType } from '@baton/contracts';
import { runWithLogContext } from '@baton/observability';
import { AmqpConnection, describe } from './amqp-connection';
import { backoffDelay, sleep } from '@baton/resilience';
import { decodeDelivery, JobDelivery } from './job-message';
import { DeliveryOutcome, JOB_PROCESSOR, JobContext, JobProcessor } from './job-processor';
import { JobPublisher } from './job-publisher';
import { Semaphore } from './semaphore';
import { workQueue } from './topology';

const PAUSE_BASE_MS = 500;
const PAUSE_CAP_MS = 15_000;

/**
 * The worker's transport: consumes the work queues named by WORKER_QUEUES
 * with manual acknowledgement, hands each delivery to the JobProcessor and
 * the `@EventPattern(jobType)` handler, and settles the message only after
 * the job's outcome is safe (committed, or republished and confirmed).
 *
 * Nest's built-in RMQ transport acks on receipt or leaves it to handlers,
 * and knows nothing of retries or dead letters; hence this strategy.
 */
@Injectable()
export class JobConsumerServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('JobConsumer');
  private readonly slots: Semaphore;
  private channel?: Channel;
  private readonly consumerTags = new Map<JobType, string>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly publisher: JobPublisher,
    private readonly config: BatonConfig,
    @Inject(JOB_PROCESSOR) private readonly processor: JobProcessor,
  ) {
    super();
    this.slots = new Semaphore(config.WORKER_CONCURRENCY);
  }

  /** True while a consumer is attached to every queue this process serves. */
  get isConsuming(): boolean {
    return this.channel !== undefined && this.config.WORKER_QUEUES.every((queue) => this.consumerTags.has(queue));
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
    this.connection.onConnect((model) => this.attach(model));
    void this.connection.start();
    callback();
  }

  /** Every queue served needs exactly one handler; a missing or doubled one is a start-up error. */
  private checkHandlers(): void {
    for (const queue of this.config.WORKER_QUEUES) {
      const handler = this.messageHandlers.get(queue);
      if (!handler) throw new Error(`no handler for job type "${queue}": add an @EventPattern('${queue}') handler`);
      if (handler.next) throw new Error(`two handlers for job type "${queue}"`);
    }
  }

  private async attach(model: ChannelModel): Promise<void> {
    if (this.closing) return;
    const channel = await model.createChannel();
    channel.on('error', (error) => this.logger.warn(`channel error: ${describe(error)}`));
    channel.on('close', () => this.detach(channel, model));
    // Per-consumer prefetch (quorum queues have no global QoS); the
    // semaphore bounds how many jobs run at once across all queues.
    await channel.prefetch(this.config.WORKER_CONCURRENCY);
    this.channel = channel;
    for (const type of this.config.WORKER_QUEUES) {
      const { consumerTag } = await channel.consume(workQueue(type), (message) => this.receive(channel, type, message), { noAck: false });
      this.consumerTags.set(type, consumerTag);
    }
    this.logger.log(`consuming ${this.config.WORKER_QUEUES.join(', ')} (concurrency ${this.config.WORKER_CONCURRENCY})`);
  }

  private detach(channel: Channel, model: ChannelModel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.consumerTags.clear();
    if (this.closing || !this.connection.isConnected) return;
    // The channel died but the connection lives (a channel-level error):
    // re-attach at once rather than wait for a reconnection that never comes.
    this.logger.warn('consumer channel closed; re-attaching');
    this.attach(model).catch((error) => this.logger.error(`cannot re-attach consumers: ${describe(error)}`));
  }

  private receive(channel: Channel, type: JobType, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over.
      this.consumerTags.delete(type);
      this.logger.error(`consumer of ${type} cancelled by the broker`);
      void channel.close().catch(() => undefined);
      return;
    }
    const context = { correlationId: message.properties.correlationId, jobId: message.properties.messageId, jobType: type };
    const work = runWithLogContext(context, () => this.run(channel, type, message)).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async run(channel: Channel, type: JobType, message: ConsumeMessage): Promise<void> {
    await this.slots.acquire();
    try {
      const delivery = decodeDelivery(type, message);
      for (let pause = 0; ; pause++) {
        const outcome = await this.processor.process(delivery, (payload) => this.invokeHandler(type, payload, delivery));
        if (outcome.action !== 'pause') {
          await this.settle(channel, message, delivery, outcome);
          return;
        }
        if (this.closing || !this.isOpen(channel)) break;
        await sleep(backoffDelay(pause, PAUSE_BASE_MS, PAUSE_CAP_MS));
      }
      // Shutting down while the database is away: give the job back.
      this.nack(channel, message, true);
    } catch (error) {
      // Not the job's failure but Baton's (a bug, an unexpected database
      // error): back to the queue after a pause, never in a hot loop; the
      // queue's delivery limit ends a message that keeps doing this.
      this.logger.error(`delivery of ${type} job ${message.properties.messageId ?? '?'} failed: ${describe(error)}`);
      await sleep(backoffDelay(0, PAUSE_BASE_MS, PAUSE_CAP_MS));
      this.nack(channel, message, true);
    } finally {
      this.slots.release();
    }
  }

  private async invokeHandler(type: JobType, payload: object, delivery: JobDelivery): Promise<unknown> {
    const handler = this.messageHandlers.get(type)!;
    const result = await handler(payload, new JobContext([delivery]));
    return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private async settle(
    channel: Channel,
    message: ConsumeMessage,
    delivery: JobDelivery,
    outcome: Exclude<DeliveryOutcome, { action: 'pause' }>,
  ): Promise<void> {
    if (outcome.action === 'ack') {
      this.ack(channel, message);
      return;
    }
    const type = delivery.type ?? delivery.queue;
    try {
      if (outcome.action === 'retry') await this.publisher.retry(type, delivery.body, message.properties, outcome.nextAttempt);
      else await this.publisher.deadLetter(type, delivery.body, message.properties, outcome.reason);
      this.ack(channel, message);
    } catch (error) {
      // Not republished, so this copy must stay: back to the queue.
      this.logger.warn(`cannot republish job ${delivery.jobId ?? '?'} (${describe(error)}); returning it to the queue`);
      this.nack(channel, message, true);
    }
  }

  private isOpen(channel: Channel): boolean {
    return this.channel === channel;
  }

  // A message can only be settled on the channel that delivered it; once that
  // channel is gone the broker has already put the message back.
  private ack(channel: Channel, message: ConsumeMessage): void {
    if (this.isOpen(channel)) channel.ack(message);
  }

  private nack(channel: Channel, message: ConsumeMessage, requeue: boolean): void {
    if (this.isOpen(channel)) channel.nack(message, false, requeue);
  }

  /**
   * Stops taking deliveries, then gives the jobs in flight until
   * SHUTDOWN_TIMEOUT_MS to settle. Whatever is still unsettled then goes back
   * to the queue when the channel closes; its transaction either committed
   * (the redelivery finds the job completed) or never will.
   */
  async close(): Promise<void> {
    this.closing = true;
    const channel = this.channel;
    if (channel) {
      for (const tag of this.consumerTags.values()) await channel.cancel(tag).catch(() => undefined);
    }
    const pending = this.inFlight.size;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.config.SHUTDOWN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) this.logger.warn(`${this.inFlight.size} of ${pending} jobs still running at shutdown; returning them to the queue`);
    this.channel = undefined;
    this.consumerTags.clear();
    await channel?.close().catch(() => undefined);
  }

  on(): never {
    throw new Error('JobConsumerServer does not emit events');
  }

  unwrap<T>(): T {
    return this.channel as T;
  }
}
