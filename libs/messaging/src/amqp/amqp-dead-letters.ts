import { Injectable } from '@nestjs/common';
import type { JobType } from '@baton/contracts';
import { AmqpConnection } from './amqp-connection';
import { DeadLetters, purgeDeadLetterQueue } from '../dead-letters';

/** The dead-letter queues of RabbitMQ, on the process's connection. */
@Injectable()
export class AmqpDeadLetters extends DeadLetters {
  constructor(private readonly connection: AmqpConnection) {
    super();
  }

  purge(type: JobType): Promise<number> {
    return this.connection.withChannel((channel) => purgeDeadLetterQueue(channel, type));
  }
}
