/**
 * What Baton tells a tenant's webhook endpoints: one event per thing that
 * happened, each delivered as a JSON envelope. The API's OpenAPI document
 * describes each type's `data` (its `webhooks` section); producers and the
 * delivery side agree on the names and the envelope here.
 */
export const EVENT_TYPES = ['job.completed', 'job.dead', 'job.cancelled', 'workout.saved', 'invoice.rendered', 'email.sent'] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** The body of every webhook delivery. */
export interface EventEnvelope<Data extends object = Record<string, unknown>> {
  /** The event's own id (a UUID): the same on every delivery attempt, so receivers can drop repeats. */
  id: string;
  type: EventType;
  /** When it happened, ISO 8601 with a time zone. */
  timestamp: string;
  tenant: string;
  /** The job it came from, if any. */
  jobId: string | null;
  /** The X-Request-Id of the request that started it, if any. */
  correlationId: string | null;
  /** The version of `data`'s shape for this type; a change that could break a receiver gets a new version. */
  dataVersion: number;
  data: Data;
}
