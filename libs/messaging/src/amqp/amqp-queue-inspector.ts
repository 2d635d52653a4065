import { Injectable } from '@nestjs/common';
import { JOB_TYPES, WEBHOOK_DELIVERY_QUEUE } from '@baton/contracts';
import { AmqpConnection } from './amqp-connection';
import { QueueInspector, QueueStats } from '../queue-inspector';
import { deadLetterQueue, retryQueue, Topology, workQueue } from '../topology';

/** Reads the depth and consumers of every Baton queue, with passive declares (no management plugin needed). */
@Injectable()
export class AmqpQueueInspector extends QueueInspector {
  constructor(
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
  ) {
    super();
  }

  /** Every queue Baton declares: work, retry and dead-letter, per job type; and the webhook deliveries' work and dead-letter queues. */
  queueNames(): string[] {
    return [
      ...JOB_TYPES.flatMap((type) => [workQueue(type), ...this.topology.retryDelays().map((delay) => retryQueue(type, delay)), deadLetterQueue(type)]),
      workQueue(WEBHOOK_DELIVERY_QUEUE),
      deadLetterQueue(WEBHOOK_DELIVERY_QUEUE),
    ];
  }

  async stats(): Promise<QueueStats[]> {
    const stats: QueueStats[] = [];
    for (const queue of this.queueNames()) {
      // One channel per queue: a missing queue closes the channel that asked.
      const found = await this.connection
        .withChannel((channel) => channel.checkQueue(queue))
        .catch(() => undefined);
      if (found) stats.push({ queue, messages: found.messageCount, consumers: found.consumerCount });
    }
    return stats;
  }
}
