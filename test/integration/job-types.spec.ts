/**
 * A job type is declared once (libs/jobs) and everything else is derived
 * from it or checked against it: a worker whose queue has no handler, or two,
 * does not start; the docs' list of types is the catalogue's.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { BatonConfig, ConfigModule, loadConfig } from '@baton/config';
import { JobType } from '@baton/contracts';
import { BATON_SCHEMA, JOB_DEFINITIONS, JobHandler, JobTypesModule } from '@baton/jobs';
import { JobContext, JobTransport, MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule } from '@baton/persistence';
import { JobRunner, WorkerModule } from '@baton/worker';

/** Never reached: the transport refuses to start before anything connects. */
const UNREACHABLE_DATABASE_URL = 'postgres://postgres@127.0.0.1:1/baton';

@JobHandler(JobType.Workout)
class SecondWorkoutHandler {
  async handle(_payload: object, _context: JobContext): Promise<boolean> {
    return true;
  }
}

@Module({ controllers: [SecondWorkoutHandler] })
class SecondWorkoutModule {}

/** Starts a worker's transport over the in-process broker with `handlers`; resolves with why it refused, or undefined. */
async function startWorker(config: BatonConfig, handlers: Function[]): Promise<string | undefined> {
  const app = await NestFactory.create(
    {
      module: class WorkerUnderTest {},
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        PersistenceModule.forRoot('baton-job-types-test', BATON_SCHEMA),
        MessagingModule.forRoot({ broker: 'in-process', processor: JobRunner }),
        JobTypesModule.forRoot(),
        ...(handlers as never[]),
      ],
    },
    new FastifyAdapter(),
    { logger: false },
  );
  try {
    app.connectMicroservice({ strategy: app.get(JobTransport) }, { inheritAppConfig: false });
    await app.startAllMicroservices();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await app.close();
  }
}

describe('job types', () => {
  describe('a worker', () => {
    it('refuses to start when a queue it consumes has no handler, naming the queue', async () => {
      const config = loadConfig({ DATABASE_URL: UNREACHABLE_DATABASE_URL, WORKER_QUEUES: 'workouts,emails' });
      // The emails worker module left out: the handler "removed".
      const refusal = await startWorker(config, await WorkerModule.handlersFor([JobType.Workout]));
      expect(refusal).toMatch(/WORKER_QUEUES includes "emails", but no handler for it is registered/);
    });

    it('refuses to start when a queue has two handlers', async () => {
      const config = loadConfig({ DATABASE_URL: UNREACHABLE_DATABASE_URL, WORKER_QUEUES: 'workouts' });
      const refusal = await startWorker(config, [...(await WorkerModule.handlersFor([JobType.Workout])), SecondWorkoutModule]);
      expect(refusal).toMatch(/two handlers for job type "workouts"/);
    });

    it('starts with the handler of every queue it consumes', async () => {
      const config = loadConfig({ DATABASE_URL: UNREACHABLE_DATABASE_URL, WORKER_QUEUES: 'workouts,invoices,emails' });
      expect(await startWorker(config, await WorkerModule.handlersFor(config.WORKER_QUEUES))).toBeUndefined();
    });
  });

  it("the HTTP API docs list every job type with its route and summary, and nothing else", () => {
    const docs = readFileSync(join(__dirname, '../../docs/api.md'), 'utf8');
    const table = /<!-- job-types[^>]*-->\n([\s\S]*?)<!-- \/job-types -->/.exec(docs);
    expect(table).not.toBeNull();
    const rows = table![1]
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    expect(rows.map(([, type, route, summary]) => ({ type, route, summary }))).toEqual(
      JOB_DEFINITIONS.map((definition) => ({ type: `\`${definition.type}\``, route: `\`POST /${definition.path}\``, summary: definition.summary })),
    );
  });
});
