import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { PAYLOAD_VALIDATION, toFieldErrors } from '@baton/contracts';
import { DescribedInput } from '@baton/openapi';
import { errorBody } from './error-body';

/**
 * Validates a query string against a class, as bodies are: unknown or
 * repeated parameters are refused, each wrong one named in a 400.
 */
@Injectable()
export class QueryPipe<T extends object> implements PipeTransform<unknown, Promise<T>>, DescribedInput {
  constructor(private readonly type: new () => T) {}

  get describedAs() {
    return this.type;
  }

  async transform(query: unknown): Promise<T> {
    const plain = (query ?? {}) as Record<string, unknown>;
    const repeated = Object.keys(plain).filter((name) => Array.isArray(plain[name]));
    const parsed = plainToInstance(this.type, plain);
    const errors = toFieldErrors(await validate(parsed, PAYLOAD_VALIDATION)).concat(
      repeated.map((field) => ({ field, messages: ['must be given once'] })),
    );
    if (errors.length === 0) return parsed;
    throw new BadRequestException(errorBody(400, `Invalid query: ${[...new Set(errors.map((error) => error.field))].join(', ')}`, errors));
  }
}
