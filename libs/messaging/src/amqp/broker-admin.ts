import * as amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { JOB_TYPES, JobType, WEBHOOK_DELIVERY_QUEUE, WorkerQueue } from '@baton/contracts';
import { purgeDeadLetterQueue } from '../dead-letters';
import { JobMessage, publishOptions, republishOptions } from '../job-message';
import { deadLetterQueue, retryQueue, Topology, WORK_EXCHANGE, workQueue } from '../topology';

// An operator's command should fail fast, not retry like a long-running process.
const CONNECT_TIMEOUT_MS = 5_000;

/** One job type's queues, as an operator looks at them. */
export interface QueueReport {
  /** The job type, or `webhooks` for the webhook deliveries. */
  type: WorkerQueue;
  queue: string;
  /** Messages waiting in the work queue. */
  ready: number;
  consumers: number;
  /** Messages waiting in the type's retry delay queues. */
  retrying: number;
  /** Messages in the type's dead-letter queue. */
  dead: number;
}

/**
 * What to do with one dead letter: publish this job again (the caller has
 * given it a fresh attempt budget), drop the letter (it is obsolete: its job
 * was retried or finished since), or keep it (it names no job; it stays, at
 * the back of the queue, for someone to read).
 */
export type DeadLetterDecision = { replay: JobMessage } | 'drop' | 'keep';

export interface ReplayReport {
  replayed: string[];
  dropped: number;
  kept: number;
}

/** RabbitMQ for the operators' command line: queue depths, dead-letter replay and purge. */
export class BrokerAdmin {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly topology: Topology,
  ) {}

  /** Connects once (no retry loop) and declares the topology, as every Baton process does. */
  static async connect(url: string, topology: Topology): Promise<BrokerAdmin> {
    const connection = await amqp.connect(url, { timeout: CONNECT_TIMEOUT_MS, clientProperties: { connection_name: `baton-cli:${process.pid}` } });
    try {
      const channel = await connection.createConfirmChannel();
      await topology.declare(channel);
      return new BrokerAdmin(connection, channel, topology);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  async queues(): Promise<QueueReport[]> {
    const reports: QueueReport[] = [];
    for (const type of JOB_TYPES) {
      const work = await this.channel.checkQueue(workQueue(type));
      let retrying = 0;
      for (const delay of this.topology.retryDelays()) retrying += (await this.channel.checkQueue(retryQueue(type, delay))).messageCount;
      const dead = await this.channel.checkQueue(deadLetterQueue(type));
      reports.push({ type, queue: workQueue(type), ready: work.messageCount, consumers: work.consumerCount, retrying, dead: dead.messageCount });
    }
    // Webhook deliveries wait for their retries in PostgreSQL: no delay queues to count.
    const webhooks = await this.channel.checkQueue(workQueue(WEBHOOK_DELIVERY_QUEUE));
    const webhooksDead = await this.channel.checkQueue(deadLetterQueue(WEBHOOK_DELIVERY_QUEUE));
    reports.push({
      type: WEBHOOK_DELIVERY_QUEUE,
      queue: workQueue(WEBHOOK_DELIVERY_QUEUE),
      ready: webhooks.messageCount,
      consumers: webhooks.consumerCount,
      retrying: 0,
      dead: webhooksDead.messageCount,
    });
    return reports;
  }

  /**
   * Goes through at most `limit` of the dead letters there are now (not the
   * ones it puts back), asking `decide` what each one means. A letter is
   * acknowledged only after its replacement is confirmed, so that a crash
   * midway loses nothing (at worst a job is published twice, which workers
   * make harmless).
   */
  async replayDeadLetters(type: JobType, limit: number, decide: (jobId: string | undefined) => Promise<DeadLetterDecision>): Promise<ReplayReport> {
    const queue = deadLetterQueue(type);
    const { messageCount } = await this.channel.checkQueue(queue);
    const report: ReplayReport = { replayed: [], dropped: 0, kept: 0 };
    for (let taken = 0; taken < Math.min(limit, messageCount); taken++) {
      const letter = await this.channel.get(queue, { noAck: false });
      if (letter === false) break;
      const decision = await decide(letter.properties.messageId || undefined).catch((error: unknown) => {
        this.channel.nack(letter, false, true);
        throw error;
      });
      if (decision === 'drop') {
        report.dropped++;
      } else if (decision === 'keep') {
        await this.publish('', queue, letter.content, republishOptions(letter.properties, {}));
        report.kept++;
      } else {
        const { replay } = decision;
        await this.publish(WORK_EXCHANGE, replay.type, Buffer.from(JSON.stringify(replay.payload)), publishOptions(replay));
        report.replayed.push(replay.jobId);
      }
      this.channel.ack(letter);
    }
    return report;
  }

  /** Publishes one job to its work queue and waits for the broker's confirm. */
  async publishJob(message: JobMessage): Promise<void> {
    await this.publish(WORK_EXCHANGE, message.type, Buffer.from(JSON.stringify(message.payload)), publishOptions(message));
  }

  /** Empties a type's dead-letter queue; returns how many letters it held. */
  async purgeDeadLetters(type: JobType): Promise<number> {
    return purgeDeadLetterQueue(this.channel, type);
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }

  private publish(exchange: string, routingKey: string, body: Buffer, options: amqp.Options.Publish): Promise<void> {
    return new Promise((resolve, reject) => {
      this.channel.publish(exchange, routingKey, body, { ...options, mandatory: true }, (error) => (error ? reject(error) : resolve()));
    });
  }
}
