import { Inject, Injectable } from '@nestjs/common';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { BatonConfig } from '@baton/config';
import { WorkerQueue } from '@baton/contracts';
import { describeError } from '@baton/observability';
import { decodeDelivery } from '../job-message';
import { JOB_PROCESSOR, JobProcessor } from '../job-processor';
import { JobTransport, Settlement } from '../job-transport';
import { QueuePauseWatcher } from '../queue-pause-watcher';
import { QueueRateLimiter } from '../queue-rate-limiter';
import { workQueue } from '../topology';
import { AmqpConnection } from './amqp-connection';
import { AmqpJobPublisher } from './amqp-job-publisher';

/** The job transport over RabbitMQ: one channel, a consumer per queue, manual acknowledgement. */
@Injectable()
export class AmqpJobTransport extends JobTransport {
  private channel?: Channel;
  private readonly consumerTags = new Map<WorkerQueue, string>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly publisher: AmqpJobPublisher,
    config: BatonConfig,
    @Inject(JOB_PROCESSOR) processor: JobProcessor,
    rateLimiter: QueueRateLimiter,
    pauses: QueuePauseWatcher,
  ) {
    super(config, processor, rateLimiter, pauses);
  }

  get isConsuming(): boolean {
    return this.channel !== undefined && this.consumedQueues.every((queue) => this.consumerTags.has(queue));
  }

  protected startConsuming(): void {
    this.connection.onConnect((model) => this.attach(model));
    void this.connection.start();
  }

  private async attach(model: ChannelModel): Promise<void> {
    if (this.closing) return;
    const channel = await model.createChannel();
    channel.on('error', (error) => this.logger.warn(`channel error: ${describeError(error)}`));
    channel.on('close', () => this.detach(channel, model));
    // Per-consumer prefetch (quorum queues have no global QoS); the
    // transport's semaphore bounds how many jobs run at once across queues.
    await channel.prefetch(this.config.WORKER_CONCURRENCY);
    this.channel = channel;
    for (const type of this.consumedQueues) await this.consumeQueue(type);
    if (this.consumedQueues.length > 0) this.logger.log(`consuming ${this.consumedQueues.join(', ')} (concurrency ${this.config.WORKER_CONCURRENCY})`);
  }

  protected async consumeQueue(type: WorkerQueue): Promise<void> {
    const channel = this.channel;
    // No channel: the next attach consumes it. A tag: consumed already.
    if (!channel || this.consumerTags.has(type)) return;
    const { consumerTag } = await channel.consume(workQueue(type), (message) => this.receive(channel, type, message), { noAck: false });
    if (this.channel !== channel) return;
    this.consumerTags.set(type, consumerTag);
    // Paused while the broker was answering: undo at once.
    if (this.isPaused(type)) await this.cancelQueue(type);
  }

  /**
   * basic.cancel: the broker sends this consumer nothing more, and the
   * deliveries it holds stay its own until acked or nacked on this channel.
   */
  protected async cancelQueue(type: WorkerQueue): Promise<void> {
    const channel = this.channel;
    const tag = this.consumerTags.get(type);
    if (!channel || tag === undefined) return;
    this.consumerTags.delete(type);
    await channel.cancel(tag);
  }

  private detach(channel: Channel, model: ChannelModel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.consumerTags.clear();
    if (this.closing || !this.connection.isConnected) return;
    // The channel died but the connection lives (a channel-level error):
    // re-attach at once rather than wait for a reconnection that never comes.
    this.logger.warn('consumer channel closed; re-attaching');
    this.attach(model).catch((error) => this.logger.error(`cannot re-attach consumers: ${describeError(error)}`));
  }

  private receive(channel: Channel, type: WorkerQueue, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over.
      this.consumerTags.delete(type);
      this.logger.error(`consumer of ${type} cancelled by the broker`);
      void channel.close().catch(() => undefined);
      return;
    }
    const delivery = decodeDelivery(type, message);
    const publisher = this.publisher;
    const target = delivery.type ?? type;
    // A message can only be settled on the channel that delivered it; once
    // that channel is gone the broker has already put the message back.
    const owned = () => this.channel === channel;
    const settlement: Settlement = {
      get owned() {
        return owned();
      },
      ack: () => channel.ack(message),
      requeue: () => channel.nack(message, false, true),
      retry: (nextAttempt) => publisher.retry(target, message.content, message.properties, nextAttempt),
      deadLetter: (reason) => publisher.deadLetter(target, message.content, message.properties, reason),
    };
    this.deliver(delivery, settlement);
  }

  protected async stopConsuming(): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    for (const tag of this.consumerTags.values()) await channel.cancel(tag).catch(() => undefined);
  }

  protected async releaseUnsettled(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    this.consumerTags.clear();
    // Closing the channel returns its unacknowledged messages to their queues.
    await channel?.close().catch(() => undefined);
  }

  unwrap<T>(): T {
    return this.channel as T;
  }
}
