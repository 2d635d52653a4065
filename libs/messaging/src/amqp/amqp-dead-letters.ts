import { Injectable } from '@nestjs/common';
import type { JobType } from '@baton/contracts';
import { describeError } from '@baton/observability';
import { AmqpConnection } from './amqp-connection';
import { BrokerUnavailableError, DeadLetters, purgeDeadLetterQueue } from '../dead-letters';

/** The dead-letter queues of RabbitMQ, on the process's connection. */
@Injectable()
export class AmqpDeadLetters extends DeadLetters {
  constructor(private readonly connection: AmqpConnection) {
    super();
  }

  /** Throws BrokerUnavailableError while RabbitMQ is away (not connected, or the connection failing under the call). */
  async purge(type: JobType): Promise<number> {
    if (!this.connection.isConnected) throw new BrokerUnavailableError('not connected');
    try {
      return await this.connection.withChannel((channel) => purgeDeadLetterQueue(channel, type));
    } catch (error) {
      if (!this.connection.isConnected) throw new BrokerUnavailableError(describeError(error));
      throw error;
    }
  }
}
