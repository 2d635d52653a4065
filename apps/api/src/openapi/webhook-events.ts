import { TSchema, Type } from '@sinclair/typebox';
import { EVENT_TYPES, EventType } from '@baton/contracts';
import { ACTIVITIES, EMAIL_TEMPLATES } from '@baton/jobs';
import { HeaderObject, JsonSchema, PathItem, SchemaComponents } from '@baton/openapi';
import { Nullable, StringEnum, Timestamp, Uuid } from '../http/schema-types';
import { JobViewSchema } from '../jobs/job.view';

/**
 * The `data` of each event type, and what it means. Typed by EventType, so
 * that a type added to EVENT_TYPES without its description does not compile.
 */
const EVENT_DATA: Record<EventType, { summary: string; data: TSchema }> = {
  'job.completed': { summary: 'A job completed; `data` is the job as `GET /v1/jobs/{jobId}` answers it.', data: JobViewSchema },
  'job.dead': { summary: 'A job spent its attempts (or its message could not be read); `data` is the job.', data: JobViewSchema },
  'job.cancelled': { summary: 'A job was cancelled before a worker took it; `data` is the job.', data: JobViewSchema },
  'workout.saved': {
    summary: 'A workout was saved.',
    data: Type.Object(
      {
        workoutId: Uuid(),
        userId: Type.String(),
        activity: StringEnum(ACTIVITIES),
        startedAt: Timestamp(),
        durationSec: Type.Integer(),
        workoutUrl: Type.String({ description: 'Where to read the workout: `/v1/workouts/<workoutId>`.' }),
      },
      { title: 'WorkoutSavedData', additionalProperties: false },
    ),
  },
  'invoice.rendered': {
    summary: 'An invoice was numbered, stored and its PDF rendered.',
    data: Type.Object(
      {
        invoiceId: Uuid(),
        number: Type.String({ description: "The invoice's number, gapless per tenant and year." }),
        orderId: Type.String(),
        currency: Type.String({ pattern: '^[A-Z]{3}$' }),
        totals: Type.Object(
          { subtotalCents: Type.Integer(), taxCents: Type.Integer(), totalCents: Type.Integer() },
          { title: 'InvoiceTotals', additionalProperties: false },
        ),
        pdfUrl: Type.String(),
      },
      { title: 'InvoiceRenderedData', additionalProperties: false },
    ),
  },
  'email.sent': {
    summary: 'An email was accepted by the mail server.',
    data: Type.Object(
      {
        messageId: Type.String(),
        template: StringEnum(EMAIL_TEMPLATES),
        to: Type.String(),
        subject: Type.String(),
        invoiceId: Nullable(Uuid({ description: 'The invoice attached, if any.' })),
        acceptedAt: Timestamp(),
      },
      { title: 'EmailSentData', additionalProperties: false },
    ),
  },
};

/** `job.completed` → `JobCompletedEvent`. */
const eventSchemaName = (type: EventType): string =>
  `${type
    .split(/[.-]/)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('')}Event`;

function envelope(type: EventType, data: TSchema): TSchema {
  return Type.Object(
    {
      id: Uuid(),
      type: Type.Literal(type),
      timestamp: Timestamp(),
      tenant: Type.String(),
      jobId: Nullable(Uuid()),
      correlationId: Nullable(Type.String({ description: 'The X-Request-Id of the request that started it.' })),
      dataVersion: Type.Integer({ minimum: 1 }),
      data,
    },
    { title: eventSchemaName(type), additionalProperties: false },
  );
}

// Standard Webhooks (standardwebhooks.com): what a receiver checks before it trusts a delivery.
const SIGNATURE_HEADERS: Array<[string, HeaderObject]> = [
  ['webhook-id', { description: "The delivery's id: the same on every attempt of this event to this endpoint, and on replay, so that a receiver can drop repeats.", required: true, schema: { type: 'string' } }],
  ['webhook-timestamp', { description: 'When this attempt was signed, in seconds since the Unix epoch; refuse one far from now.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } }],
  [
    'webhook-signature',
    {
      description:
        'Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<webhook-id>.<webhook-timestamp>.<body>` with the endpoint\'s secret; several while a secret is being rotated. One valid signature suffices.',
      required: true,
      schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
    },
  ],
];

/** The OpenAPI 3.1 `webhooks` section: one POST per event type, as Baton delivers it to a tenant's endpoint. */
export function webhooksSection(components: SchemaComponents): Record<string, PathItem> {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `on${eventSchemaName(type)}`,
          summary: EVENT_DATA[type].summary,
          parameters: SIGNATURE_HEADERS.map(([name, header]) => ({ name, in: 'header' as const, ...header })),
          requestBody: { required: true, content: { 'application/json': { schema: components.reference(envelope(type, EVENT_DATA[type].data) as unknown as JsonSchema) } } },
          responses: { '2XX': { description: 'Any 2xx status acknowledges the delivery; anything else, or no answer, is a failed attempt.' } },
        },
      },
    ]),
  );
}
