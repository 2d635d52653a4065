import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { EventEnvelope, JobType, WEBHOOK_DELIVERY_QUEUE, WORKER_QUEUE_NAMES, WorkerQueue } from '@baton/contracts';
import { describeError } from '@baton/observability';
import { inPublishSpan, inRepublishSpan, TraceContext } from '@baton/tracing';
import { DeadLetters } from '../dead-letters';
import { encodePayload, JobMessage, jobPublishTarget, webhookDeliveryMessage } from '../job-message';
import { JobPublisher } from '../job-publisher';
import { QueueInspector, QueueStats } from '../queue-inspector';
import { topicMatches } from '../topic-pattern';
import { deadLetterQueue, retryQueue, Topology, WORK_EXCHANGE, workQueue } from '../topology';

/** A message held by the in-process broker. */
export interface InProcessMessage {
  /** The job's id, or a webhook delivery's. */
  jobId: string;
  /** The queue it is in: its job type, or the webhook deliveries'. */
  type: WorkerQueue;
  attempt: number;
  correlationId?: string;
  /** What RabbitMQ would carry in headers `traceparent` and `tracestate`. */
  traceContext?: TraceContext;
  body: Buffer;
  /** Times it was handed out and came back unsettled: the quorum queue's delivery count. */
  deliveryCount: number;
  reason?: string;
}

type Consumer = { prefetch: number; unacked: number; onMessage: (message: InProcessMessage) => void };
type EventSubscriber = { pattern: string; onEvent: (event: EventEnvelope) => void | Promise<void> };

// Dead letters are kept for inspection while the process lives; the jobs'
// state (dead, with their error) is in PostgreSQL either way.
const MAX_DEAD_LETTERS = 10_000;

/**
 * The broker of the embedded development mode: RabbitMQ's semantics for
 * Baton's purposes, in memory. Work queues with per-consumer prefetch and
 * manual settlement, retries that wait out the same backoff as the delay
 * queues, a delivery limit, dead-letter queues. Memory does not survive a
 * restart; PostgreSQL does, and at start every unfinished job is published
 * again from there (see the embedded app's job recovery).
 */
@Injectable()
export class InProcessBroker extends JobPublisher implements QueueInspector, DeadLetters, OnApplicationShutdown {
  private readonly logger = new Logger('InProcessBroker');
  private readonly ready = new Map<WorkerQueue, InProcessMessage[]>(WORKER_QUEUE_NAMES.map((queue) => [queue, []]));
  private readonly dead = new Map<WorkerQueue, InProcessMessage[]>(WORKER_QUEUE_NAMES.map((queue) => [queue, []]));
  private readonly waiting = new Map<NodeJS.Timeout, WorkerQueue>();
  private readonly consumers = new Map<WorkerQueue, Consumer>();
  private readonly eventSubscribers = new Set<EventSubscriber>();

  constructor(
    private readonly config: BatonConfig,
    private readonly topology: Topology,
  ) {
    super();
  }

  get isReady(): boolean {
    return true;
  }

  publishJob(message: JobMessage): Promise<void> {
    // Named as RabbitMQ's publish would be, so that a trace reads the same in both modes.
    return inPublishSpan(jobPublishTarget(message, WORK_EXCHANGE), message.traceContext, async (traceContext) =>
      this.enqueue({ ...message, traceContext, body: encodePayload(message.payload), deliveryCount: 0 }),
    );
  }

  /**
   * The `baton.events` exchange in process: every subscriber whose pattern
   * (a topic binding: `workout.*`, `#`) takes the event's type gets it. A
   * subscriber's failure is logged and does not reach the relay: as with a
   * queue bound to the exchange, the event was handed over.
   */
  publishEvent(event: EventEnvelope): Promise<void> {
    for (const subscriber of this.eventSubscribers) {
      if (!topicMatches(subscriber.pattern, event.type)) continue;
      const copy = structuredClone(event);
      Promise.resolve()
        .then(() => subscriber.onEvent(copy))
        .catch((error) => this.logger.warn(`event subscriber for ${subscriber.pattern} failed on ${event.type} ${event.id}: ${describeError(error)}`));
    }
    return Promise.resolve();
  }

  /** Subscribes to the events whose type `pattern` takes; returns the unsubscribe. */
  subscribeEvents(pattern: string, onEvent: EventSubscriber['onEvent']): () => void {
    const subscriber = { pattern, onEvent };
    this.eventSubscribers.add(subscriber);
    return () => this.eventSubscribers.delete(subscriber);
  }

  publishWebhookDelivery(deliveryId: string): Promise<void> {
    const { body } = webhookDeliveryMessage(deliveryId);
    this.enqueue({ jobId: deliveryId, type: WEBHOOK_DELIVERY_QUEUE, attempt: 1, body, deliveryCount: 0 });
    return Promise.resolve();
  }

  /** Attaches the one consumer of a queue; it gets at most `prefetch` unsettled messages at once. */
  consume(type: WorkerQueue, prefetch: number, onMessage: (message: InProcessMessage) => void): void {
    this.consumers.set(type, { prefetch, unacked: 0, onMessage });
    this.pump(type);
  }

  cancel(type: WorkerQueue): void {
    this.consumers.delete(type);
  }

  isConsumed(type: WorkerQueue): boolean {
    return this.consumers.has(type);
  }

  ack(message: InProcessMessage): void {
    this.settled(message.type);
  }

  /** Back to the head of its queue; past JOB_DELIVERY_LIMIT deliveries, to the dead letters instead. */
  requeue(message: InProcessMessage): void {
    const returned = { ...message, deliveryCount: message.deliveryCount + 1 };
    if (returned.deliveryCount >= this.config.JOB_DELIVERY_LIMIT) {
      this.deadLetter(returned, `delivered ${returned.deliveryCount} times without being settled`);
    } else {
      this.ready.get(message.type)!.unshift(returned);
    }
    this.settled(message.type);
  }

  /** Holds the message for the backoff of its next attempt, then puts it back to work. */
  retry(message: InProcessMessage, nextAttempt: number): Promise<void> {
    const delayMs = this.topology.retryTier(nextAttempt - 1);
    return inRepublishSpan({ destination: retryQueue(message.type, delayMs), messageId: message.jobId }, async (traceContext) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        this.enqueue({ ...message, attempt: nextAttempt, deliveryCount: 0, traceContext: traceContext ?? message.traceContext });
      }, delayMs);
      this.waiting.set(timer, message.type);
    });
  }

  deadLetter(message: InProcessMessage, reason: string): Promise<void> {
    const dead = this.dead.get(message.type)!;
    dead.push({ ...message, reason });
    if (dead.length > MAX_DEAD_LETTERS) dead.shift();
    return Promise.resolve();
  }

  purge(type: JobType): Promise<number> {
    const dead = this.dead.get(type)!;
    return Promise.resolve(dead.splice(0).length);
  }

  async stats(): Promise<QueueStats[]> {
    return WORKER_QUEUE_NAMES.flatMap((type) => [
      { queue: workQueue(type), messages: this.ready.get(type)!.length, consumers: this.consumers.has(type) ? 1 : 0 },
      { queue: `${type}.retry`, messages: [...this.waiting.values()].filter((waiting) => waiting === type).length, consumers: 0 },
      { queue: deadLetterQueue(type), messages: this.dead.get(type)!.length, consumers: 0 },
    ]);
  }

  private enqueue(message: InProcessMessage): void {
    this.ready.get(message.type)!.push(message);
    this.pump(message.type);
  }

  private settled(type: WorkerQueue): void {
    const consumer = this.consumers.get(type);
    if (consumer) consumer.unacked = Math.max(0, consumer.unacked - 1);
    this.pump(type);
  }

  private pump(type: WorkerQueue): void {
    const consumer = this.consumers.get(type);
    const queue = this.ready.get(type)!;
    while (consumer && consumer.unacked < consumer.prefetch && queue.length > 0) {
      consumer.unacked++;
      consumer.onMessage(queue.shift()!);
    }
  }

  onApplicationShutdown(): void {
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    const pending = this.waiting.size + [...this.ready.values()].reduce((sum, queue) => sum + queue.length, 0);
    if (pending > 0) this.logger.log(`${pending} jobs left in memory; they are picked up again from PostgreSQL at the next start`);
  }
}
