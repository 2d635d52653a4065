import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { JOB_TYPES, JobType } from '@baton/contracts';
import { encodePayload, JobMessage } from '../job-message';
import { JobPublisher } from '../job-publisher';
import { QueueInspector, QueueStats } from '../queue-inspector';
import { deadLetterQueue, Topology, workQueue } from '../topology';

/** A message held by the in-process broker. */
export interface InProcessMessage {
  jobId: string;
  type: JobType;
  attempt: number;
  correlationId?: string;
  body: Buffer;
  /** Times it was handed out and came back unsettled: the quorum queue's delivery count. */
  deliveryCount: number;
  reason?: string;
}

type Consumer = { prefetch: number; unacked: number; onMessage: (message: InProcessMessage) => void };

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
export class InProcessBroker extends JobPublisher implements QueueInspector, OnApplicationShutdown {
  private readonly logger = new Logger('InProcessBroker');
  private readonly ready = new Map<JobType, InProcessMessage[]>(JOB_TYPES.map((type) => [type, []]));
  private readonly dead = new Map<JobType, InProcessMessage[]>(JOB_TYPES.map((type) => [type, []]));
  private readonly waiting = new Map<NodeJS.Timeout, JobType>();
  private readonly consumers = new Map<JobType, Consumer>();

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
    this.enqueue({ ...message, body: encodePayload(message.payload), deliveryCount: 0 });
    return Promise.resolve();
  }

  /** Attaches the one consumer of a queue; it gets at most `prefetch` unsettled messages at once. */
  consume(type: JobType, prefetch: number, onMessage: (message: InProcessMessage) => void): void {
    this.consumers.set(type, { prefetch, unacked: 0, onMessage });
    this.pump(type);
  }

  cancel(type: JobType): void {
    this.consumers.delete(type);
  }

  isConsumed(type: JobType): boolean {
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
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.enqueue({ ...message, attempt: nextAttempt, deliveryCount: 0 });
    }, this.topology.retryTier(nextAttempt - 1));
    this.waiting.set(timer, message.type);
    return Promise.resolve();
  }

  deadLetter(message: InProcessMessage, reason: string): Promise<void> {
    const dead = this.dead.get(message.type)!;
    dead.push({ ...message, reason });
    if (dead.length > MAX_DEAD_LETTERS) dead.shift();
    return Promise.resolve();
  }

  async stats(): Promise<QueueStats[]> {
    return JOB_TYPES.flatMap((type) => [
      { queue: workQueue(type), messages: this.ready.get(type)!.length, consumers: this.consumers.has(type) ? 1 : 0 },
      { queue: `${type}.retry`, messages: [...this.waiting.values()].filter((waiting) => waiting === type).length, consumers: 0 },
      { queue: deadLetterQueue(type), messages: this.dead.get(type)!.length, consumers: 0 },
    ]);
  }

  private enqueue(message: InProcessMessage): void {
    this.ready.get(message.type)!.push(message);
    this.pump(message.type);
  }

  private settled(type: JobType): void {
    const consumer = this.consumers.get(type);
    if (consumer) consumer.unacked = Math.max(0, consumer.unacked - 1);
    this.pump(type);
  }

  private pump(type: JobType): void {
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
