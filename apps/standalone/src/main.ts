import 'reflect-metadata';
import { startTracing, stopTracing } from '@baton/tracing';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { API_APP_OPTIONS, configureHttp, createHttpAdapter } from '@baton/api';
import { ApiKeyService } from '@baton/auth';
import { loadConfigOrExit } from '@baton/config';
import { BATON_SCHEMA, checkJobDefinitionsOrExit } from '@baton/jobs';
import { serveHealth } from '@baton/health';
import { JobTransport } from '@baton/messaging';
import { BatonLogger, describeError } from '@baton/observability';
import { DatabaseHealth, EmbeddedPostgres, runMigrations } from '@baton/persistence';
import { developmentKey, developmentKeyBanner } from './development-key';
import { JobRecovery } from './job-recovery';
import { StandaloneModule } from './standalone.module';

/**
 * `npm start`: Baton in one process, for development and trying it out. With
 * no DATABASE_URL it runs an embedded PostgreSQL (PGlite) in BATON_DATA_DIR;
 * with no RABBITMQ_URL jobs travel through an in-process queue. With both set
 * it is the API and a worker on the real services. It applies migrations at
 * start, which production processes never do (that is `npm run migrate`),
 * and creates a development API key on first start, which they never do either.
 */
async function bootstrap(): Promise<void> {
  // First: spans made before the provider is registered would be lost.
  startTracing('baton');
  checkJobDefinitionsOrExit();
  const config = loadConfigOrExit([]);
  const logger = new BatonLogger('baton', config.LOG_LEVEL);
  let embedded: EmbeddedPostgres | undefined;
  if (config.DATABASE_URL === undefined) {
    embedded = await EmbeddedPostgres.start(resolve(config.BATON_DATA_DIR));
    config.DATABASE_URL = embedded.url;
  }
  await runMigrations(config.DATABASE_URL, BATON_SCHEMA);

  const app = await NestFactory.create<NestFastifyApplication>(await StandaloneModule.register(config), createHttpAdapter(config), {
    logger,
    ...API_APP_OPTIONS,
  });
  await configureHttp(app, config);
  const transport = app.get(JobTransport);
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: false });
  const database = app.get(DatabaseHealth);
  serveHealth(app.getHttpServer(), {
    checks: [
      { name: 'postgres', check: () => database.ping() },
      { name: 'consumers', check: () => transport.assertConsuming() },
    ],
    shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    close: async () => {
      await app.close();
      await embedded?.stop();
      await stopTracing();
    },
  });

  if (!config.RABBITMQ_URL) await app.get(JobRecovery).recover();
  // Before it listens, so that a ready process has finished starting: a
  // database lost right after readiness cannot fail the start any more.
  const key = await developmentKey(app.get(ApiKeyService), resolve(config.BATON_DATA_DIR));
  await app.startAllMicroservices();
  await app.listen(config.PORT, '0.0.0.0');
  const parts = [
    embedded ? `PostgreSQL: embedded PGlite, data in ${embedded.dataDir} (set DATABASE_URL to use a PostgreSQL server)` : 'PostgreSQL: DATABASE_URL',
    config.RABBITMQ_URL ? 'queue: RabbitMQ at RABBITMQ_URL' : 'queue: in-process, in this process only (set RABBITMQ_URL to use RabbitMQ)',
  ];
  const development = embedded || !config.RABBITMQ_URL ? ' The embedded parts are for development only; production runs `npm run start:api` and `npm run start:worker` on PostgreSQL and RabbitMQ.' : '';
  // For the developer at the terminal, on stderr: stdout carries only the JSON log lines, and they never carry keys.
  process.stderr.write(`${developmentKeyBanner(key, config.PORT)}\n`);
  logger.log(`Baton standalone: API and workers (${config.WORKER_QUEUES.join(', ')}) on :${config.PORT}. ${parts.join('; ')}.${development}`, 'Baton');
}

bootstrap().catch((error: unknown) => {
  // One line a developer can act on (a port in use, PGlite not installed), not an unhandled rejection's trace.
  process.stderr.write(`baton: could not start: ${describeError(error)}\n`);
  process.exit(1);
});
