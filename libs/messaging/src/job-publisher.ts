import { JobMessage } from './job-message';

/** Thrown when a publish cannot be confirmed: no channel, a nack, an unroutable message, a timeout. */
export class PublishFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishFailedError';
  }
}

/**
 * Hands accepted jobs to the broker. `publishJob` resolves only once the
 * broker has taken responsibility for the message; otherwise it rejects and
 * the caller keeps the job (the relay publishes it again later).
 */
export abstract class JobPublisher {
  abstract get isReady(): boolean;
  abstract publishJob(message: JobMessage): Promise<void>;
}
