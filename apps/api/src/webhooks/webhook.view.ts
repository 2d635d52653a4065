import { Static, Type } from '@sinclair/typebox';
import { EVENT_SUBSCRIPTIONS, EVENT_TYPES } from '@baton/contracts';
import { WEBHOOK_DELIVERY_STATUSES, WebhookDelivery, WebhookEndpoint } from '@baton/persistence';
import { Nullable, PageOf, StringEnum, Timestamp, Uuid } from '../http/schema-types';

const endpointFields = {
  id: Uuid(),
  url: Type.String({ format: 'uri' }),
  events: Type.Array(StringEnum(EVENT_SUBSCRIPTIONS), { description: 'Event types, `<prefix>.*` or `*`.' }),
  description: Nullable(Type.String()),
  disabled: Type.Boolean(),
  disabledReason: Nullable(Type.String({ description: 'Why Baton disabled it (it answered 410); null when enabled, or disabled by the tenant.' })),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
};

export const WebhookEndpointViewSchema = Type.Object(endpointFields, { title: 'WebhookEndpoint', additionalProperties: false });
export type WebhookEndpointView = Static<typeof WebhookEndpointViewSchema>;

export const WebhookEndpointWithSecretSchema = Type.Object(
  { ...endpointFields, secret: Type.String({ pattern: '^whsec_', description: 'The signing secret (Standard Webhooks form); shown at creation and rotation only.' }) },
  { title: 'WebhookEndpointWithSecret', additionalProperties: false },
);
export type WebhookEndpointWithSecret = Static<typeof WebhookEndpointWithSecretSchema>;

export const WebhookEndpointListSchema = Type.Object(
  { endpoints: Type.Array(WebhookEndpointViewSchema, { description: 'Oldest first; never a secret.' }) },
  { title: 'WebhookEndpointList', additionalProperties: false },
);
export type WebhookEndpointList = Static<typeof WebhookEndpointListSchema>;

export const WebhookAttemptSchema = Type.Object(
  {
    at: Timestamp(),
    statusCode: Nullable(Type.Integer({ description: "The endpoint's answer; null when none came (refused, timed out, not a public address)." })),
    durationMs: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String()),
    responseExcerpt: Nullable(Type.String({ description: "The answer's first kilobyte." })),
  },
  { title: 'WebhookAttempt', additionalProperties: false },
);

export const WebhookDeliveryViewSchema = Type.Object(
  {
    id: Uuid({ description: 'Also the `webhook-id` of every attempt.' }),
    endpointId: Uuid(),
    eventId: Uuid(),
    eventType: StringEnum(EVENT_TYPES),
    status: StringEnum(WEBHOOK_DELIVERY_STATUSES),
    attempts: Type.Array(WebhookAttemptSchema, { description: 'Oldest first (the last 50).' }),
    nextAttemptAt: Nullable(Timestamp()),
    createdAt: Timestamp(),
  },
  { title: 'WebhookDelivery', additionalProperties: false },
);
export type WebhookDeliveryView = Static<typeof WebhookDeliveryViewSchema>;

export const WebhookDeliveryPageSchema = PageOf('deliveries', WebhookDeliveryViewSchema, 'WebhookDeliveryPage');
export type WebhookDeliveryPage = Static<typeof WebhookDeliveryPageSchema>;

/** An endpoint as the API shows it: never its secret (only creation and rotation answer that). */
export function webhookEndpointView(endpoint: WebhookEndpoint): WebhookEndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    disabled: endpoint.disabled,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

export function webhookDeliveryView(delivery: WebhookDelivery): WebhookDeliveryView {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts.map(({ at, statusCode, durationMs, error, responseExcerpt }) => ({ at, statusCode, durationMs, error, responseExcerpt })),
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  };
}
