import { BadRequestException, Injectable, PipeTransform, UnsupportedMediaTypeException } from '@nestjs/common';
import { JobPayloads, JobType, validatePayload } from '@baton/contracts';
import { errorBody } from './error-body';

/**
 * Validates a request body as the payload of a job type, with the very
 * function the worker uses on the message: what the API accepts, the worker
 * can read. Unknown fields are refused, not dropped.
 */
@Injectable()
export class PayloadPipe<T extends JobType> implements PipeTransform<unknown, Promise<JobPayloads[T]>> {
  constructor(private readonly type: T) {}

  async transform(body: unknown): Promise<JobPayloads[T]> {
    // Fastify parses only application/json; no body at all means no JSON was sent.
    if (body === undefined) throw new UnsupportedMediaTypeException(errorBody(415, 'Content-Type must be application/json'));
    const check = await validatePayload(this.type, body);
    if (check.valid) return check.payload;
    const fields = check.errors.map((error) => error.field);
    throw new BadRequestException(errorBody(400, `Invalid request body: ${fields.join(', ')}`, check.errors));
  }
}
