import 'reflect-metadata';
import { startTracing, stopTracing } from '@baton/tracing';
import { loadConfigOrExit } from '@baton/config';
import { checkJobDefinitionsOrExit } from '@baton/jobs';
import { serveHealth } from '@baton/health';
import { JobPublisher } from '@baton/messaging';
import { BatonLogger } from '@baton/observability';
import { DatabaseHealth } from '@baton/persistence';
import { createApiApplication } from './api-application';

async function bootstrap(): Promise<void> {
  // First: spans made before the provider is registered would be lost.
  startTracing('baton-api');
  checkJobDefinitionsOrExit();
  const config = loadConfigOrExit(['DATABASE_URL', 'RABBITMQ_URL']);
  const logger = new BatonLogger('baton-api', config.LOG_LEVEL);
  const app = await createApiApplication(config, logger);

  const database = app.get(DatabaseHealth);
  const publisher = app.get(JobPublisher);
  serveHealth(app.getHttpServer(), {
    checks: [
      { name: 'postgres', check: () => database.ping() },
      {
        // Without RabbitMQ the API still accepts jobs (they wait in PostgreSQL
        // for the relay), so a broker outage must not take every API pod out
        // of its Service: reported, not required.
        name: 'rabbitmq',
        informational: true,
        check: () => {
          if (!publisher.isReady) throw new Error('no confirm channel to RabbitMQ; jobs wait in PostgreSQL');
        },
      },
    ],
    shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    close: async () => {
      await app.close();
      await stopTracing();
    },
  });

  await app.listen(config.PORT, '0.0.0.0');
  logger.log(`API listening on :${config.PORT}`, 'Api');
}

void bootstrap();
