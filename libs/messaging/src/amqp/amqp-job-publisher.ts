import { Injectable, Logger } from '@nestjs/common';
import type { ChannelModel, ConfirmChannel, MessageProperties, Options } from 'amqplib';
import { EVENTS_EXCHANGE, EventEnvelope, WEBHOOK_DELIVERY_QUEUE, WorkerQueue } from '@baton/contracts';
import { describeError } from '@baton/observability';
import { inPublishSpan, inRepublishSpan, traceHeaders } from '@baton/tracing';
import { AmqpConnection } from './amqp-connection';
import {
  ATTEMPT_HEADER,
  deadLetterHeaders,
  encodePayload,
  eventPublishOptions,
  JobMessage,
  jobPublishTarget,
  publishOptions,
  republishOptions,
  webhookDeliveryMessage,
} from '../job-message';
import { JobPublisher, PublishFailedError } from '../job-publisher';
import { DEAD_EXCHANGE, retryQueue, Topology, WORK_EXCHANGE } from '../topology';

// A confirm that never comes (a broker wedged under a memory alarm) must not
// hold a relay batch or a worker slot forever.
const CONFIRM_TIMEOUT_MS = 15_000;

/**
 * Publishes jobs on a confirm channel: a publish resolves only once the
 * broker has taken responsibility for the message (written it to a quorum
 * of nodes); otherwise it rejects and the caller keeps the job.
 */
@Injectable()
export class AmqpJobPublisher extends JobPublisher {
  private readonly logger = new Logger('JobPublisher');
  private channel?: ConfirmChannel;
  private readonly returned = new Set<string>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
  ) {
    super();
    connection.onConnect((model) => this.open(model));
  }

  private async open(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error) => this.logger.warn(`channel error: ${describeError(error)}`));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      // A channel-level error closes the channel but not the connection;
      // without a new channel the publisher would stay down until a reconnect.
      if (this.connection.isConnected) {
        this.open(model).catch((error) => this.logger.error(`cannot reopen the confirm channel: ${describeError(error)}`));
      }
    });
    // `mandatory` publishes come back here, before their confirm, when no
    // queue took them (a queue deleted by hand): they must not count.
    channel.on('return', (message) => this.returned.add(message.properties.messageId));
    this.channel = channel;
  }

  get isReady(): boolean {
    return this.channel !== undefined;
  }

  /** A job's first publish (and relay republishes): to its work queue, continuing the job's trace. */
  publishJob(message: JobMessage): Promise<void> {
    return inPublishSpan(jobPublishTarget(message, WORK_EXCHANGE), message.traceContext, (traceContext) =>
      this.send(WORK_EXCHANGE, message.type, encodePayload(message.payload), publishOptions({ ...message, traceContext })),
    );
  }

  publishEvent(event: EventEnvelope): Promise<void> {
    // Not mandatory: an event no service has subscribed to is not an error.
    return this.send(EVENTS_EXCHANGE, event.type, encodePayload(event), eventPublishOptions(event), false);
  }

  publishWebhookDelivery(deliveryId: string): Promise<void> {
    const { body, options } = webhookDeliveryMessage(deliveryId);
    return this.send(WORK_EXCHANGE, WEBHOOK_DELIVERY_QUEUE, body, options);
  }

  /**
   * A failed job's next attempt: the delivered message, as it came but for
   * its attempt header (and trace context: the next attempt's process span
   * is a child of this publish), into the delay queue that returns it to
   * work after its backoff.
   */
  retry(type: WorkerQueue, body: Buffer, properties: MessageProperties, nextAttempt: number): Promise<void> {
    const queue = retryQueue(type, this.topology.retryTier(nextAttempt - 1));
    return inRepublishSpan({ destination: queue, messageId: properties.messageId }, (traceContext) =>
      this.send('', queue, body, republishOptions(properties, { [ATTEMPT_HEADER]: nextAttempt, ...traceHeaders(traceContext) })),
    );
  }

  /** A job that gave up (or a message no one can read): to its dead-letter queue, with the reason in a header. */
  deadLetter(type: WorkerQueue, body: Buffer, properties: MessageProperties, reason: string): Promise<void> {
    return this.send(DEAD_EXCHANGE, type, body, republishOptions(properties, deadLetterHeaders(reason)));
  }

  private send(exchange: string, routingKey: string, body: Buffer, options: Options.Publish, mandatory = true): Promise<void> {
    const channel = this.channel;
    if (!channel) return Promise.reject(new PublishFailedError('not connected to RabbitMQ'));
    const messageId = options.messageId ?? '';
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PublishFailedError('publish not confirmed in time')), CONFIRM_TIMEOUT_MS);
      try {
        channel.publish(exchange, routingKey, body, { ...options, mandatory }, (error) => {
          clearTimeout(timer);
          const wasReturned = this.returned.delete(messageId);
          if (error) reject(new PublishFailedError(`publish not confirmed: ${describeError(error)}`));
          else if (wasReturned) reject(new PublishFailedError(`no queue bound for ${exchange}/${routingKey}`));
          else resolve();
        });
      } catch (error) {
        // amqplib registers the confirm callback before it encodes the frame:
        // after a throw (a header it cannot encode) the channel's confirms no
        // longer line up with its publishes, so it is replaced.
        clearTimeout(timer);
        reject(new PublishFailedError(`publish failed: ${describeError(error)}`));
        void channel.close().catch(() => undefined);
      }
    });
  }
}
