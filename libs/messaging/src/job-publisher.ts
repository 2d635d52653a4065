import { EventEnvelope } from '@baton/contracts';
import { JobMessage } from './job-message';

/** Thrown when a publish cannot be confirmed: no channel, a nack, an unroutable message, a timeout. */
export class PublishFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishFailedError';
  }
}

/**
 * Hands what the outbox holds to the broker: accepted jobs, events and
 * webhook deliveries. Each publish resolves only once the broker has taken
 * responsibility for the message; otherwise it rejects and the caller keeps
 * the row (the relay publishes it again later).
 */
export abstract class JobPublisher {
  abstract get isReady(): boolean;
  abstract publishJob(message: JobMessage): Promise<void>;
  /** To the `baton.events` topic exchange, routed by the event's type; no subscriber is no error. */
  abstract publishEvent(event: EventEnvelope): Promise<void>;
  /** A webhook delivery that is due, to the delivery workers' queue. */
  abstract publishWebhookDelivery(deliveryId: string): Promise<void>;
}
