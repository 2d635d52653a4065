import 'reflect-metadata';
import { startTracing, stopTracing } from '@baton/tracing';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrExit } from '@baton/config';
import { checkJobDefinitionsOrExit, variablesRequiredFor } from '@baton/jobs';
import { serveHealth } from '@baton/health';
import { JobTransport, QueueInspector } from '@baton/messaging';
import { BatonLogger, Metrics, sampled } from '@baton/observability';
import { DatabaseHealth } from '@baton/persistence';
import { WorkerModule } from './worker.module';

/** Queue depths are read at most this often, however often Prometheus scrapes. */
const METRICS_SAMPLE_MS = 5_000;

async function bootstrap(): Promise<void> {
  // First: spans made before the provider is registered would be lost.
  startTracing('baton-worker');
  checkJobDefinitionsOrExit();
  // A queue's job type may need more (the emails worker: SMTP_URL, MAIL_FROM).
  const config = loadConfigOrExit((parsed) => ['DATABASE_URL', 'RABBITMQ_URL', ...variablesRequiredFor(parsed.WORKER_QUEUES)]);
  const logger = new BatonLogger('baton-worker', config.LOG_LEVEL);
  // The HTTP side serves only health and metrics: no API routes in a worker.
  const app = await NestFactory.create<NestFastifyApplication>(await WorkerModule.forProcess(config), new FastifyAdapter(), { logger });
  const consumer = app.get(JobTransport);
  app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: false });
  const database = app.get(DatabaseHealth);
  const queues = app.get(QueueInspector);
  app.get(Metrics).sampleQueues(sampled(() => queues.stats(), METRICS_SAMPLE_MS));

  serveHealth(app.getHttpServer(), {
    checks: [
      { name: 'postgres', check: () => database.ping() },
      { name: 'consumers', check: () => consumer.assertConsuming() },
    ],
    // Nothing routes requests to a worker: no need to wait for load balancers.
    shutdownDelayMs: 0,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    close: async () => {
      await app.close();
      await stopTracing();
    },
  });

  await app.startAllMicroservices();
  await app.listen(config.HEALTH_PORT, '0.0.0.0');
  logger.log(`worker up: queues ${config.WORKER_QUEUES.join(', ')}, health on :${config.HEALTH_PORT}`, 'Worker');
}

void bootstrap();
