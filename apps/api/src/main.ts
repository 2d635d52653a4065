import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrExit } from '@baton/config';
import { serveHealth } from '@baton/health';
import { AmqpConnection, JobPublisher, QueueInspector } from '@baton/messaging';
import { BatonLogger, instrumentHttp, Metrics, sampled } from '@baton/observability';
import { DatabaseHealth, JobRepository } from '@baton/persistence';
import { ApiModule } from './api.module';
import { correlationIdOf, REQUEST_ID_HEADER } from './http/correlation-id';

/** Largest request body accepted; a 500-set workout or a 200-line invoice is far below it. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Queue depths and the relay backlog are read at most this often, however often Prometheus scrapes. */
const METRICS_SAMPLE_MS = 5_000;

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(['DATABASE_URL', 'RABBITMQ_URL']);
  const logger = new BatonLogger('baton-api', config.LOG_LEVEL);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: correlationIdOf,
    requestIdHeader: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.register(config), adapter, { logger, bodyParser: false });
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only. Nest's own body parsers (urlencoded) are off; Fastify's
  // text/plain parser would hand a string to the routes.
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

  const database = app.get(DatabaseHealth);
  const publisher = app.get(JobPublisher);
  serveHealth(app.getHttpServer(), {
    checks: [
      { name: 'postgres', check: () => database.ping() },
      {
        name: 'rabbitmq',
        check: () => {
          if (!publisher.isReady) throw new Error('no confirm channel to RabbitMQ');
        },
      },
    ],
    shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    close: () => app.close(),
  });

  void app.get(AmqpConnection).start();
  await app.listen(config.PORT, '0.0.0.0');
  logger.log(`API listening on :${config.PORT}`, 'Api');
}

void bootstrap();
