import { Attributes, Context, context, INVALID_SPAN_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracingEnabled } from './start-tracing';
import { contextFrom, currentTraceContext, TraceContext } from './trace-context';

// A proxy: it finds the provider startTracing registers, whenever that happens.
const tracer = trace.getTracer('baton');
// What `work` gets while tracing is off: a span that records nothing.
const NOT_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Attribute names of OpenTelemetry's semantic conventions (HTTP, database,
 * messaging), written out here: the messaging and some database names are
 * still "incubating", which the conventions' package asks users to copy
 * rather than import, and the stable ones are a handful of strings.
 */
export const SemanticAttributes = {
  HTTP_REQUEST_METHOD: 'http.request.method',
  HTTP_ROUTE: 'http.route',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
  URL_PATH: 'url.path',
  URL_SCHEME: 'url.scheme',
  URL_FULL: 'url.full',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  ERROR_TYPE: 'error.type',
  NETWORK_PROTOCOL_NAME: 'network.protocol.name',
  DB_SYSTEM_NAME: 'db.system.name',
  /** The name before db.system.name, which many backends still read. */
  DB_SYSTEM: 'db.system',
  DB_OPERATION_NAME: 'db.operation.name',
  DB_COLLECTION_NAME: 'db.collection.name',
  MESSAGING_SYSTEM: 'messaging.system',
  MESSAGING_DESTINATION_NAME: 'messaging.destination.name',
  MESSAGING_MESSAGE_ID: 'messaging.message.id',
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  MESSAGING_RABBITMQ_ROUTING_KEY: 'messaging.rabbitmq.destination.routing_key',
  /** Baton's own: the attempt a job's delivery is for (1 for the first). */
  JOB_ATTEMPT: 'baton.job.attempt',
} as const;

export interface SpanSpec {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: the active context unless given. */
  parent?: Context;
}

/**
 * Runs `work` in a new span, the active one while it runs, and ends the
 * span when it settles; a throw records the exception and an error status.
 * With tracing off it only runs `work`.
 */
export async function inSpan<T>(name: string, spec: SpanSpec, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(NOT_RECORDED);
  const parent = spec.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A statement (or a transaction) on PostgreSQL, named `<operation> <table>` as the conventions ask. */
export function inDatabaseSpan<T>(operation: string, table: string, work: () => Promise<T>): Promise<T> {
  return inSpan(
    `${operation} ${table}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [SemanticAttributes.DB_SYSTEM_NAME]: 'postgresql',
        [SemanticAttributes.DB_SYSTEM]: 'postgresql',
        [SemanticAttributes.DB_OPERATION_NAME]: operation,
        [SemanticAttributes.DB_COLLECTION_NAME]: table,
      },
    },
    work,
  );
}

/** A call to another server (an endpoint's webhook, a mail server), a CLIENT span; `work` may add what the answer says. */
export function inClientSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(name, { kind: SpanKind.CLIENT, attributes }, work);
}

/** Where a message goes: RabbitMQ's exchange (or queue, for the default exchange) and routing key. */
export interface MessageTarget {
  destination: string;
  routingKey?: string;
  /** The job's id (or a webhook delivery's); absent on a message that names none. */
  messageId?: string;
}

/**
 * A publish to RabbitMQ (or the in-process queue), a PRODUCER span, child
 * of the trace context the message carries (a job's, read from its row).
 * `work` gets the context to put in the message's headers: the publish
 * span's, or with tracing off the one carried, passed on as it came (so
 * that a process that does not trace, the CLI, still hands the job's trace on).
 */
export function inPublishSpan<T>(target: MessageTarget, carried: TraceContext | null | undefined, work: (traceContext: TraceContext | undefined) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(carried ?? undefined);
  return publishSpan(target, contextFrom(carried), work);
}

/**
 * A worker's publish of a delivery's next copy (its retry), a PRODUCER span
 * child of the active one, its process span. With tracing off `work` gets
 * nothing, and the copy keeps the headers it came with.
 */
export function inRepublishSpan<T>(target: MessageTarget, work: (traceContext: TraceContext | undefined) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(undefined);
  return publishSpan(target, context.active(), work);
}

function publishSpan<T>(target: MessageTarget, parent: Context, work: (traceContext: TraceContext | undefined) => Promise<T>): Promise<T> {
  return inSpan(
    `publish ${target.destination}`,
    { kind: SpanKind.PRODUCER, parent, attributes: { ...messagingAttributes(target), [SemanticAttributes.MESSAGING_OPERATION_TYPE]: 'send', [SemanticAttributes.MESSAGING_OPERATION_NAME]: 'publish' } },
    () => work(currentTraceContext() ?? undefined),
  );
}

/** A worker's processing of one delivery, a CONSUMER span: a child of the publish span whose context the message carries. */
export function inProcessSpan<T>(target: MessageTarget & { attempt: number }, carried: TraceContext | undefined, work: () => Promise<T>): Promise<T> {
  return inSpan(
    `process ${target.destination}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextFrom(carried),
      attributes: {
        ...messagingAttributes(target),
        [SemanticAttributes.MESSAGING_OPERATION_TYPE]: 'process',
        [SemanticAttributes.MESSAGING_OPERATION_NAME]: 'process',
        [SemanticAttributes.JOB_ATTEMPT]: target.attempt,
      },
    },
    work,
  );
}

function messagingAttributes(target: MessageTarget): Attributes {
  const attributes: Attributes = {
    [SemanticAttributes.MESSAGING_SYSTEM]: 'rabbitmq',
    [SemanticAttributes.MESSAGING_DESTINATION_NAME]: target.destination,
  };
  if (target.messageId) attributes[SemanticAttributes.MESSAGING_MESSAGE_ID] = target.messageId;
  if (target.routingKey !== undefined) attributes[SemanticAttributes.MESSAGING_RABBITMQ_ROUTING_KEY] = target.routingKey;
  return attributes;
}

/** Marks the active span failed: error status with `reason`, and the exception when there is one. */
export function markActiveSpanFailed(reason: string, error?: unknown): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}

/** Marks `span` failed: error status with the error's message, and the exception. */
export function markFailed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The ids a log line written now carries, so that logs and traces join; none while no span is active. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : undefined;
}
