import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counter, Gauge } from 'prom-client';
import { BODY_LIMIT_BYTES } from './body-limit';
import { REQUEST_ID_HEADER } from './correlation-id';
import { errorBody } from './error-body';

/** Seconds a shed client is asked to wait: the requests ahead of it finish in milliseconds. */
const SHED_RETRY_AFTER_SECONDS = 1;

/** Probes and scrapes are answered however busy the API is: a shed probe would restart a pod for being busy. */
const exempt = (url: string) => url.startsWith('/health/') || url === '/metrics';

export interface InFlightBounds {
  /** Requests held at once (HTTP_MAX_IN_FLIGHT). */
  requests: number;
  /** Request body bytes held at once (HTTP_MAX_IN_FLIGHT_BYTES). */
  bodyBytes: number;
}

export interface InFlightMetrics {
  /** By `reason`: `requests` or `bytes`, whichever bound the request would have passed. */
  shed: Counter<'reason'>;
  inFlight: Gauge;
  inFlightBytes: Gauge;
}

/**
 * Holds at most `bounds.requests` requests, and at most `bounds.bodyBytes`
 * of their bodies, at once: the next request past either bound is answered
 * 503 with Retry-After at once, before its body is read, so that a burst of
 * large bodies cannot take more memory than the bounds allow. A request
 * alone in flight is always taken, whatever its size (its route's body
 * limit still applies). A request counts from its first hook until its
 * connection is done with it (answered, or the client gone), whichever way
 * it ends.
 */
export function limitInFlight(fastify: FastifyInstance, bounds: InFlightBounds, metrics: InFlightMetrics): void {
  let requests = 0;
  let bytes = 0;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (exempt(request.url)) return done();
    const size = announcedBodyBytes(request);
    const reason = requests >= bounds.requests ? 'requests' : requests > 0 && bytes + size > bounds.bodyBytes ? 'bytes' : undefined;
    if (reason) {
      metrics.shed.inc({ reason });
      void reply
        .code(503)
        .header('Retry-After', String(SHED_RETRY_AFTER_SECONDS))
        .header(REQUEST_ID_HEADER, request.id)
        .send({ ...errorBody(503, 'Too many requests in flight; retry later'), requestId: request.id });
      return;
    }
    requests += 1;
    bytes += size;
    metrics.inFlight.set(requests);
    metrics.inFlightBytes.set(bytes);
    reply.raw.once('close', () => {
      requests -= 1;
      bytes -= size;
      metrics.inFlight.set(requests);
      metrics.inFlightBytes.set(bytes);
    });
    done();
  });
}

/**
 * What a request's body may take: its Content-Length, up to its route's
 * limit (a longer one is refused unread); a chunked body, whose length is
 * known only once read, counts as the whole limit. No body: nothing.
 */
function announcedBodyBytes(request: FastifyRequest): number {
  const limit = request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES;
  const length = request.headers['content-length'];
  if (length !== undefined) return Math.min(Number(length) || 0, limit);
  return request.headers['transfer-encoding'] !== undefined ? limit : 0;
}
