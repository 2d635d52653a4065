import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { QueueInspector } from '@baton/messaging';
import { instrumentHttp, Metrics, sampled } from '@baton/observability';
import { JobRepository } from '@baton/persistence';
import { correlationIdOf, REQUEST_ID_HEADER } from './correlation-id';

/** Largest request body accepted; a 500-set workout or a 200-line invoice is far below it. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Queue depths and the relay backlog are read at most this often, however often Prometheus scrapes. */
const METRICS_SAMPLE_MS = 5_000;

/** Nest's options for the API: Nest's own body parsers off (JSON is Fastify's, alone). */
export const API_APP_OPTIONS = { bodyParser: false } as const;

export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, genReqId: correlationIdOf, requestIdHeader: false });
}

/** JSON only, correlation ids, request metrics and logs, queue and relay gauges. */
export function configureHttp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's text/plain parser would hand a string to the routes.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  const metrics = app.get(Metrics);
  instrumentHttp(fastify, metrics);
  const queues = app.get(QueueInspector);
  const jobs = app.get(JobRepository);
  metrics.sampleQueues(sampled(() => queues.stats(), METRICS_SAMPLE_MS));
  metrics.sampleRelayBacklog(sampled(() => jobs.countUnpublished(), METRICS_SAMPLE_MS));
}
