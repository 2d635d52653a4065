import { Injectable } from '@nestjs/common';
import type { Channel } from 'amqplib';
import { BatonConfig } from '@baton/config';
import { EVENTS_EXCHANGE, JOB_TYPES, JobType, WEBHOOK_DELIVERY_QUEUE, WorkerQueue } from '@baton/contracts';

/** Where every job is published; routes by job type to the type's work queue. */
export const WORK_EXCHANGE = 'baton.jobs';
/** Where jobs that gave up go; routes by job type to the type's dead-letter queue. */
export const DEAD_EXCHANGE = 'baton.dead';

export const workQueue = (queue: WorkerQueue): string => queue;
export const deadLetterQueue = (queue: WorkerQueue): string => `${queue}.dead`;
export const retryQueue = (queue: WorkerQueue, delayMs: number): string => `${queue}.retry.${delayMs}ms`;

/**
 * The queues and exchanges Baton needs, and the retry policy they encode.
 *
 * Retries wait in delay queues, one per distinct delay, each with a
 * per-queue TTL whose expiry dead-letters the message back to its work
 * queue. A per-queue TTL (rather than one queue with per-message TTLs)
 * expires every message on time: RabbitMQ only expires messages at the head
 * of a queue, so a short delay behind a long one would wait for it.
 */
@Injectable()
export class Topology {
  constructor(private readonly config: BatonConfig) {}

  /** The delay before retry number `attempt` (1 for the first retry): doubling from the base, capped. */
  retryDelay(attempt: number): number {
    const { JOB_RETRY_BASE_MS: base, JOB_RETRY_MAX_MS: cap } = this.config;
    return Math.min(cap, base * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  }

  /** Every delay a job may wait with the configured attempts. */
  retryDelays(): number[] {
    const delays = new Set<number>();
    for (let attempt = 1; attempt < this.config.JOB_MAX_ATTEMPTS; attempt++) delays.add(this.retryDelay(attempt));
    return [...delays];
  }

  /**
   * The delay queue a retry goes to: the delay for `attempt`, or the longest
   * declared one below it. A job accepted with more attempts than this
   * process's JOB_MAX_ATTEMPTS would otherwise be sent to a queue that was
   * never declared.
   */
  retryTier(attempt: number): number {
    const wanted = this.retryDelay(attempt);
    const declared = this.retryDelays().filter((delay) => delay <= wanted);
    return declared.length > 0 ? Math.max(...declared) : wanted;
  }

  /**
   * Declares everything, idempotently: any process may run it at any time,
   * and whichever starts first creates the topology.
   */
  async declare(channel: Channel): Promise<void> {
    await channel.assertExchange(WORK_EXCHANGE, 'direct', { durable: true });
    await channel.assertExchange(DEAD_EXCHANGE, 'direct', { durable: true });
    // Events: subscribers bind their own queues, by event type (`workout.*`, `#`).
    await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    // Webhook deliveries wait for their retries in PostgreSQL, not in delay queues.
    await this.declareWorkQueue(channel, WEBHOOK_DELIVERY_QUEUE);
    for (const type of JOB_TYPES) {
      await this.declareWorkQueue(channel, type);
      for (const delayMs of this.retryDelays()) {
        await channel.assertQueue(retryQueue(type, delayMs), {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-message-ttl': delayMs,
            'x-dead-letter-exchange': WORK_EXCHANGE,
            'x-dead-letter-routing-key': type,
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          },
        });
      }
    }
  }

  /** A work queue bound to the work exchange by its name, and its dead-letter queue. */
  private async declareWorkQueue(channel: Channel, queue: WorkerQueue): Promise<void> {
    await channel.assertQueue(deadLetterQueue(queue), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(deadLetterQueue(queue), DEAD_EXCHANGE, queue);
    await channel.assertQueue(workQueue(queue), {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        // A message whose deliveries keep killing workers ends in the
        // dead-letter queue instead of being redelivered forever.
        'x-delivery-limit': this.config.JOB_DELIVERY_LIMIT,
        'x-dead-letter-exchange': DEAD_EXCHANGE,
        // At-least-once dead-lettering (quorum queues only) needs
        // reject-publish overflow; without it a dead letter can be lost.
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
    await channel.bindQueue(workQueue(queue), WORK_EXCHANGE, queue);
  }
}
