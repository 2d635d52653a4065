/**
 * What Baton tells the rest of a company: the type of every event it
 * publishes on the `baton.events` exchange (the routing key) and delivers
 * to webhook endpoints. `job.*` events come for every job type; the others
 * from the job type whose effect they describe.
 */
export enum EventType {
  JobCompleted = 'job.completed',
  JobDead = 'job.dead',
  JobCancelled = 'job.cancelled',
  WorkoutSaved = 'workout.saved',
  InvoiceRendered = 'invoice.rendered',
  EmailSent = 'email.sent',
}

export const EVENT_TYPES: readonly EventType[] = Object.values(EventType);

/** The topic exchange events are published to, routed by event type. */
export const EVENTS_EXCHANGE = 'baton.events';

/**
 * One shape for every event, the same on the exchange and in a webhook's
 * body. `dataVersion` changes only when `data` changes incompatibly.
 */
export interface EventEnvelope<D extends object = Record<string, unknown>> {
  id: string;
  type: EventType;
  /** When the effect committed (ISO-8601, UTC). */
  timestamp: string;
  tenant: string;
  jobId: string | null;
  correlationId: string | null;
  dataVersion: number;
  data: D;
}

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Whether an endpoint's subscription (an event type, `<prefix>.*` or `*`)
 * takes an event type. The same rule runs in SQL when deliveries are
 * recorded (see the event outbox).
 */
export function subscriptionMatches(subscription: string, type: EventType): boolean {
  return subscription === '*' || subscription === type || subscription === `${type.split('.')[0]}.*`;
}

/** What an endpoint may subscribe to: an event type, every type with a prefix (`job.*`), or every event (`*`). */
export const EVENT_SUBSCRIPTIONS: readonly string[] = ['*', ...new Set(EVENT_TYPES.map((type) => `${type.split('.')[0]}.*`)), ...EVENT_TYPES];
