import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServerSpan, startServerSpan, tracingEnabled } from '@baton/tracing';
import { runWithLogContext } from './log-context';
import { Metrics } from './metrics';

const logger = new Logger('Http');
const serverSpans = new WeakMap<FastifyRequest, ServerSpan>();

/**
 * Times every request into `baton_http_request_duration_seconds` (by route
 * pattern, so ids do not explode the label set) and runs each request inside
 * a log context carrying its correlation id. Each request is one log line:
 * at debug level when it succeeded, info for a 4xx, warn for a 5xx, so that
 * the default level shows what needs a look without a line per accepted job.
 * With tracing on, each request is also a SERVER span that continues an
 * incoming `traceparent`, active while it is served.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!tracingEnabled()) return runWithLogContext({ correlationId: request.id }, done);
    const span = startServerSpan({ method: request.method, route: request.routeOptions.url, path: request.url.split('?', 1)[0], scheme: request.protocol, headers: request.headers });
    serverSpans.set(request, span);
    span.within(() => runWithLogContext({ correlationId: request.id }, done));
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequestDuration.observe({ method: request.method, route, status_code: String(status) }, reply.elapsedTime / 1000);
    const line = { msg: 'request', method: request.method, route, statusCode: status, durationMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (status >= 500) logger.warn(line);
    else if (status >= 400) logger.log(line);
    else logger.debug(line);
    serverSpans.get(request)?.end(status, request.routeOptions.url);
    done();
  });
}
