import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { runWithLogContext } from './log-context';
import { Metrics } from './metrics';

const logger = new Logger('Http');

/**
 * Times every request into `baton_http_request_duration_seconds` (by route
 * pattern, so ids do not explode the label set) and runs each request inside
 * a log context carrying its correlation id. Each request is one log line:
 * at debug level when it succeeded, info for a 4xx, warn for a 5xx, so that
 * the default level shows what needs a look without a line per accepted job.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onRequest', (request, _reply, done) => runWithLogContext({ correlationId: request.id }, done));
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequestDuration.observe({ method: request.method, route, status_code: String(status) }, reply.elapsedTime / 1000);
    const line = { msg: 'request', method: request.method, route, statusCode: status, durationMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (status >= 500) logger.warn(line);
    else if (status >= 400) logger.log(line);
    else logger.debug(line);
    done();
  });
}
