import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrokerUnavailableError } from '@baton/messaging';
import { InvalidCursorError, InvalidPayloadFieldError, isDatabaseUnavailable } from '@baton/persistence';
import { JobStateConflictError, NotJobOwnerError } from '../jobs/job-operations.service';
import { IdempotencyConflictError } from '../jobs/job-submission.service';
import { REQUEST_ID_HEADER } from './correlation-id';
import { ErrorBody, errorBody, fieldErrorBody } from './error-body';

/** Seconds a client should wait before retrying while PostgreSQL is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The one place errors become HTTP answers: HttpExceptions keep their status
 * and body, an unreachable database or broker is a 503 with Retry-After, anything else
 * a 500 whose body says nothing of the cause (the log has it, under the
 * request id the body carries).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, request, reply);
    // Set here too: a request no route matched never ran the hook that sets it.
    void reply.status(body.statusCode).header(REQUEST_ID_HEADER, request.id).send({ ...body, requestId: request.id });
  }

  private toBody(exception: unknown, request: FastifyRequest, reply: FastifyReply): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Fastify refuses other media types before any route runs, with a bare "Unsupported Media Type".
      if (status === 415) return errorBody(415, 'Content-Type must be application/json');
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null && 'message' in response && typeof response.message === 'string') {
        return { ...(response as ErrorBody), statusCode: status };
      }
      return errorBody(status, exception.message);
    }
    if (exception instanceof IdempotencyConflictError || exception instanceof JobStateConflictError) return errorBody(409, exception.message);
    if (exception instanceof NotJobOwnerError) return errorBody(403, exception.message);
    if (exception instanceof InvalidCursorError) return fieldErrorBody('cursor', 'is not a cursor this API returned');
    if (exception instanceof InvalidPayloadFieldError) return errorBody(400, exception.message, [{ field: 'field', messages: [exception.message] }]);
    // A client that hung up mid-body (or was cut off by the request timeout) gets no answer; nothing is wrong here.
    // (`destroyed` alone says nothing: a request stream is destroyed once its whole body has been read.)
    if (request.raw.readableAborted || (request.raw.destroyed && !request.raw.complete)) {
      this.logger.debug(`${request.method} ${request.url}: the client went away before its request was read (request ${request.id})`);
      return errorBody(400, 'The request body was not received whole');
    }
    if (exception instanceof BrokerUnavailableError) {
      this.logger.warn(`${request.method} ${request.url}: ${exception.message} (request ${request.id})`);
      void reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return errorBody(503, 'Service temporarily unavailable; retry later');
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`${request.method} ${request.url}: PostgreSQL unavailable (request ${request.id})`);
      void reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return errorBody(503, 'Service temporarily unavailable; retry later');
    }
    this.logger.error(`${request.method} ${request.url} failed (request ${request.id}): ${(exception as Error)?.stack ?? exception}`);
    return errorBody(500, 'Internal server error');
  }
}
