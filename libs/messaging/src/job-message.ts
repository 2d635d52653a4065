import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';
import { EventEnvelope, JobType, isJobType, WEBHOOK_DELIVERY_QUEUE, WorkerQueue } from '@baton/contracts';
import { MessageTarget, TraceContext, traceContextFromHeaders, traceHeaders } from '@baton/tracing';

/** Header with the attempt this message is for (1 for the first). */
export const ATTEMPT_HEADER = 'x-baton-attempt';
/** Header on a dead letter with the reason the job gave up. */
export const ERROR_HEADER = 'x-baton-error';

// Headers travel in every copy of a message; a stack trace does not belong there.
const MAX_HEADER_ERROR_LENGTH = 1000;

/** A job as it travels: identity in the message properties, the validated payload as the JSON body. */
export interface JobMessage {
  jobId: string;
  type: JobType;
  attempt: number;
  correlationId?: string;
  payload: object;
  /** The trace it continues: the submitting request's, in headers `traceparent` and `tracestate`. */
  traceContext?: TraceContext;
}

/** A stored job that is to be published (again): the message for its next attempt, in the trace of the request that submitted it. */
export function jobMessageOf(job: { id: string; type: JobType; attempts: number; correlationId: string | null; payload: object; traceContext?: TraceContext | null }): JobMessage {
  return { jobId: job.id, type: job.type, attempt: job.attempts + 1, correlationId: job.correlationId ?? undefined, payload: job.payload, traceContext: job.traceContext ?? undefined };
}

/** Where a job's publish goes, for its span: the jobs exchange, routed by type. */
export function jobPublishTarget(message: Pick<JobMessage, 'jobId' | 'type'>, exchange: string): MessageTarget {
  return { destination: exchange, routingKey: message.type, messageId: message.jobId };
}

/** A job as it arrives, before anything about it is trusted. */
export interface JobDelivery {
  queue: WorkerQueue;
  /** The message's id: the job's, or on the webhook deliveries' queue the delivery's. */
  jobId?: string;
  type?: JobType;
  attempt: number;
  correlationId?: string;
  /** The publish span's context, from headers `traceparent` and `tracestate`: its process span's parent. */
  traceContext?: TraceContext;
  body: Buffer;
  /**
   * Handed out before and never settled: the worker that held it died (its
   * job, or one beside it, may have killed it), or gave it back. Such a
   * delivery runs alone in its worker (see JobTransport).
   */
  redelivered: boolean;
}

/** Options for an event on `baton.events`: its id as the message id, JSON, persistent. */
export function eventPublishOptions(event: EventEnvelope): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: event.id,
    correlationId: event.correlationId ?? undefined,
    type: event.type,
    appId: 'baton',
    timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
  };
}

/** A webhook delivery's message: its id, and nothing else (the delivery is read from PostgreSQL when it runs). */
export function webhookDeliveryMessage(deliveryId: string): { body: Buffer; options: Options.Publish } {
  return {
    body: encodePayload({ deliveryId }),
    options: { persistent: true, contentType: 'application/json', messageId: deliveryId, type: WEBHOOK_DELIVERY_QUEUE, appId: 'baton', timestamp: Math.floor(Date.now() / 1000) },
  };
}

export function publishOptions(message: Omit<JobMessage, 'payload'>, extraHeaders: Record<string, unknown> = {}): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: message.jobId,
    correlationId: message.correlationId,
    type: message.type,
    appId: 'baton',
    timestamp: Math.floor(Date.now() / 1000),
    headers: { [ATTEMPT_HEADER]: message.attempt, ...traceHeaders(message.traceContext), ...extraHeaders },
  };
}

/** Options to publish a delivered message again: its identity kept, its headers amended. */
export function republishOptions(properties: MessageProperties, headers: Record<string, unknown>): Options.Publish {
  return {
    persistent: true,
    contentType: properties.contentType,
    messageId: properties.messageId,
    correlationId: properties.correlationId,
    type: properties.type,
    appId: properties.appId,
    timestamp: properties.timestamp,
    // x-death and friends describe the broker's own dead-lettering of the old copy.
    headers: { ...withoutBrokerHeaders(properties.headers), ...headers },
  };
}

function withoutBrokerHeaders(headers: MessageProperties['headers']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !name.startsWith('x-death') && !name.startsWith('x-first-death') && !name.startsWith('x-last-death') && name !== 'x-delivery-count'));
}

export const encodePayload = (payload: object): Buffer => Buffer.from(JSON.stringify(payload));

export function deadLetterHeaders(reason: string): Record<string, unknown> {
  return { [ERROR_HEADER]: reason.slice(0, MAX_HEADER_ERROR_LENGTH) };
}

export function decodeDelivery(queue: WorkerQueue, message: ConsumeMessage): JobDelivery {
  const { messageId, correlationId, type, headers } = message.properties;
  const attempt = Number(headers?.[ATTEMPT_HEADER]);
  return {
    queue,
    jobId: typeof messageId === 'string' && messageId.length > 0 ? messageId : undefined,
    type: isJobType(type) ? type : undefined,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    correlationId: typeof correlationId === 'string' ? correlationId : undefined,
    traceContext: traceContextFromHeaders(headers),
    body: message.content,
    redelivered: message.fields.redelivered,
  };
}
