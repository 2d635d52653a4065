import type { FastifyInstance } from 'fastify';
import type { Counter, Gauge } from 'prom-client';
import { REQUEST_ID_HEADER } from './correlation-id';
import { errorBody } from './error-body';

/** Seconds a shed client is asked to wait: the requests ahead of it finish in milliseconds. */
const SHED_RETRY_AFTER_SECONDS = 1;

/** Probes and scrapes are answered however busy the API is: a shed probe would restart a pod for being busy. */
const exempt = (url: string) => url.startsWith('/health/') || url === '/metrics';

/**
 * Holds at most `max` requests at once: the next one is answered 503 with
 * Retry-After at once, before its body is read, so that a burst of large
 * bodies cannot take more memory than `max` of them. A request counts from
 * its first hook until its connection is done with it (answered, or the
 * client gone), whichever way it ends.
 */
export function limitInFlight(fastify: FastifyInstance, max: number, metrics: { shed: Counter; inFlight: Gauge }): void {
  let inFlight = 0;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (exempt(request.url)) return done();
    if (inFlight >= max) {
      metrics.shed.inc();
      void reply
        .code(503)
        .header('Retry-After', String(SHED_RETRY_AFTER_SECONDS))
        .header(REQUEST_ID_HEADER, request.id)
        .send({ ...errorBody(503, 'Too many requests in flight; retry later'), requestId: request.id });
      return;
    }
    inFlight += 1;
    metrics.inFlight.set(inFlight);
    reply.raw.once('close', () => {
      inFlight -= 1;
      metrics.inFlight.set(inFlight);
    });
    done();
  });
}
