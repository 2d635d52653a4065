import type { Channel } from 'amqplib';
import type { JobType } from '@baton/contracts';
import { deadLetterQueue } from './topology';

/** The broker cannot be reached now: an answer to retry later (503), not a failure of Baton's. */
export class BrokerUnavailableError extends Error {
  constructor(cause: string) {
    super(`RabbitMQ is unavailable: ${cause}`);
    this.name = 'BrokerUnavailableError';
  }
}

/** The job types' dead letters, whatever the broker: what the API's purge acts on. */
export abstract class DeadLetters {
  /** Deletes every dead letter of the type's queue; returns how many there were. The jobs stay `dead` in PostgreSQL. */
  abstract purge(type: JobType): Promise<number>;
}

/** Empties a type's dead-letter queue on RabbitMQ: for the API (AmqpDeadLetters) and the operators' CLI (BrokerAdmin) alike. */
export async function purgeDeadLetterQueue(channel: Channel, type: JobType): Promise<number> {
  return (await channel.purgeQueue(deadLetterQueue(type))).messageCount;
}
