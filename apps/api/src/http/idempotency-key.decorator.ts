import { BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_PATTERN } from '@baton/contracts';
import { fieldErrorBody } from './error-body';


/** The optional `Idempotency-Key` header: 1 to 255 printable characters, or a 400. */
export const IdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  // Node joins a repeated header into "a, b", which would pass for one key.
  const sent = request.raw.rawHeaders.filter((name, index) => index % 2 === 0 && name.toLowerCase() === 'idempotency-key').length;
  if (sent !== 1 || typeof value !== 'string' || value.length < 1 || value.length > 255 || !IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw new BadRequestException(
      fieldErrorBody('Idempotency-Key', 'must be 1 to 255 printable ASCII characters, sent once'),
    );
  }
  return value;
});
