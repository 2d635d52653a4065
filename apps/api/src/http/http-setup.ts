import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyService } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { QueueInspector } from '@baton/messaging';
import { instrumentHttp, Metrics, sampled } from '@baton/observability';
import { EventOutboxRepository, JobIntakeRepository } from '@baton/persistence';
import { authenticateApiRequests } from '../auth/api-key-authentication';
import { limitRequestRate } from '../auth/rate-limit';
import { applyRouteBodyLimits, BODY_LIMIT_BYTES, describeBytes } from './body-limit';
import { correlationIdOf, REQUEST_ID_HEADER } from './correlation-id';
import { QueueAgeReporter } from '../jobs/queue-age-reporter';
import { serveDashboardAssets } from '../dashboard/dashboard-assets';
import { errorBody } from './error-body';
import { limitInFlight } from './in-flight-limit';
import { securityHeaders } from './security-headers';

/** Queue depths and the relay backlog are read at most this often, however often Prometheus scrapes. */
const METRICS_SAMPLE_MS = 5_000;

// JSON is UTF-8 (RFC 8259): bytes that are not are refused, not replaced with U+FFFD.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Nest's options for the API: Nest's own body parsers off (JSON is Fastify's, alone). */
export const API_APP_OPTIONS = { bodyParser: false } as const;

export function createHttpAdapter(config: BatonConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: correlationIdOf,
    requestIdHeader: false,
    // A client that trickles its request in is cut off (408) instead of holding a connection.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      // Node enforces both timeouts only when it checks, every 30 s by default.
      connectionsCheckingInterval: Math.max(250, Math.min(1000, config.HTTP_HEADERS_TIMEOUT_MS / 4)),
    },
    // A URL the router cannot decode, or a path parameter over its length
    // limit, answered in Baton's error shape with its request id (not echoing the URL).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode === 414 ? 414 : 400;
      const message = status === 414 ? 'A path parameter is too long' : 'The request URL is not validly encoded';
      void reply.code(status).header(REQUEST_ID_HEADER, request.id).send({ ...errorBody(status, message), requestId: request.id });
    },
  });
}

/**
 * JSON only, security headers, correlation ids, CORS only when configured,
 * slow-client timeouts, request metrics and logs, a bound on requests in
 * flight, a rate limit and an API
 * key on every /v1 route, the dashboard's page and files, queue, queue-age
 * and relay gauges.
 */
export async function configureHttp(app: NestFastifyApplication, config: BatonConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's text/plain parser would hand a string to the routes.
  fastify.removeContentTypeParser('text/plain');
  // Fastify's own JSON parser (which refuses __proto__ and constructor.prototype keys), fed strictly decoded UTF-8.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = STRICT_UTF8.decode(body as Buffer);
    } catch {
      done(new BadRequestException(errorBody(400, 'Request body is not valid UTF-8')), undefined);
      return;
    }
    parseJson(request, text, done);
  });
  // Headers for a JSON API: nosniff, no framing, no referrer, HSTS, a
  // deny-all CSP (nothing here is meant to render in a browser).
  const headers = securityHeaders({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  if (config.CORS_ORIGINS) app.enableCors({ origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS });
  // A callback hook, not an async one: no promise per request for two header writes.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // A body announced over the limit is refused before its first byte is
  // read, after the rate limit and the API key (onRequest hooks). Fastify's
  // own refusal closes the connection while the client may still be
  // writing, and a client whose write fails with EPIPE never reads the 413;
  // refused here, the response goes out on an open connection and Node reads
  // and drops the rest of the body (within HTTP_REQUEST_TIMEOUT_MS).
  applyRouteBodyLimits(fastify);
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const limit = request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES;
    if (Number(request.headers['content-length']) > limit) {
      done(new PayloadTooLargeException(errorBody(413, `Request body is too large (over ${describeBytes(limit)})`)));
      return;
    }
    done(null, payload);
  });
  const metrics = app.get(Metrics);
  instrumentHttp(fastify, metrics);
  // Before the rate limit and authentication: a shed request costs no Redis or database call.
  limitInFlight(
    fastify,
    { requests: config.HTTP_MAX_IN_FLIGHT, bodyBytes: config.HTTP_MAX_IN_FLIGHT_BYTES },
    { shed: metrics.httpRequestsShed, inFlight: metrics.httpRequestsInFlight, inFlightBytes: metrics.httpRequestBytesInFlight },
  );
  // Counted before authentication: a flood of bad keys costs no database look-ups.
  await limitRequestRate(app, config);
  authenticateApiRequests(fastify, app.get(ApiKeyService));
  if (config.DASHBOARD_ENABLED) serveDashboardAssets(fastify);
  const queues = app.get(QueueInspector);
  const jobs = app.get(JobIntakeRepository);
  const events = app.get(EventOutboxRepository);
  metrics.sampleQueues(sampled(() => queues.stats(), METRICS_SAMPLE_MS));
  metrics.sampleRelayBacklog(sampled(() => jobs.countUnpublished(), METRICS_SAMPLE_MS), sampled(() => events.countUnpublished(), METRICS_SAMPLE_MS));
  metrics.sampleOldestPending(app.get(QueueAgeReporter).current);
}
