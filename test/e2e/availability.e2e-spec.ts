/**
 * How the processes behave around their dependencies and their life cycle:
 * PostgreSQL away, a bad environment, the migration CLI, SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import {
  batonEnv,
  BatonProcess,
  createTestBroker,
  createTestDatabase,
  describeWithServices,
  Exit,
  itWithServices,
  runCli,
  startApi,
  startBaton,
  startWorker,
  TcpProxy,
  TestDatabase,
  testMode,
  TestVhost,
  waitFor,
  withServices,
  workoutBody,
} from '../support';
import { countRows, createEmptyDatabase, get, post, queueDepths, request, stopAll, waitForJob, waitUntilLive } from './e2e-support';

const UNREACHABLE_DATABASE_URL = 'postgres://postgres@127.0.0.1:1/none';
/** In embedded mode, for API and worker processes that stop at their configuration check, before they would connect. */
const NO_BROKER_URL = 'amqp://guest:guest@127.0.0.1:1';

/** Waits for a process to exit by itself; fails (and kills it) if it does not within `timeoutMs`. */
async function exitOf(child: BatonProcess, timeoutMs = 15_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await child.stop('SIGKILL');
    throw new Error(`process did not exit within ${timeoutMs} ms:\n${child.logs}`);
  }
  return outcome;
}

describe('availability and life cycle', () => {
  let vhost: TestVhost | undefined;
  const started: BatonProcess[] = [];

  beforeAll(async () => {
    vhost = await createTestBroker('baton_e2e_availability');
  });

  afterAll(async () => {
    await stopAll(started);
    await vhost?.drop();
  });

  describeWithServices(
    'API and worker processes with RabbitMQ up and PostgreSQL away; the standalone process applies its migrations at start, so it does not start without PostgreSQL',
    'with PostgreSQL unreachable',
    () => {
      let api: BatonProcess;
      let worker: BatonProcess;

      beforeAll(async () => {
        const env = { DATABASE_URL: UNREACHABLE_DATABASE_URL, RABBITMQ_URL: vhost!.url };
        api = await startApi(env, { ready: false });
        worker = await startWorker(env, { ready: false });
        started.push(api, worker);
        // Not ready (no database), but up: wait for liveness.
        await Promise.all([waitUntilLive(api), waitUntilLive(worker)]);
      });

      it('is live', async () => {
        const answer = await get(api.url, '/health/live');
        expect(answer.status).toBe(200);
        expect((await get(worker.url, '/health/live')).status).toBe(200);
      });

      it("is not ready, and says it is 'postgres' that is down (RabbitMQ is up)", async () => {
        // RabbitMQ connects in the background: once it has, postgres alone is down.
        const answer = await waitFor('the API readiness to report rabbitmq up', async () => {
          const ready = await get(api.url, '/health/ready');
          return ready.body?.error?.rabbitmq === 'up' ? ready : undefined;
        });
        expect(answer.status).toBe(503);
        expect(answer.body.error.postgres).toMatch(/^down/);
        expect(answer.text).not.toContain('127.0.0.1:1/none');

        const workerReady = await get(worker.url, '/health/ready');
        expect(workerReady.status).toBe(503);
        expect(workerReady.text).toContain('postgres');
      });

      it('answers POST /v1/workouts with 503 and Retry-After, quickly', async () => {
        const answer = await post(api.url, '/v1/workouts', workoutBody());
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(answer.body).toMatchObject({ statusCode: 503, requestId: answer.headers.get('x-request-id') });
        // Says nothing of the cause (no connection string, no driver error).
        expect(answer.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:\/\//);
        expect(answer.ms).toBeLessThan(5_000);
      });

      it('answers every database-backed route with 503 and Retry-After, never 500 and never a hang', async () => {
        const id = randomUUID();
        const attempts = [
          () => post(api.url, '/v1/invoices', { orderId: 'o', customer: { name: 'A', email: 'a@example.com' }, currency: 'EUR', lines: [{ description: 'x', quantity: 1, unitPriceCents: 1 }] }),
          () => post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': `k-${id}` }),
          () => get(api.url, `/v1/jobs/${id}`),
          () => get(api.url, `/v1/workouts/${id}`),
          () => get(api.url, `/v1/invoices/${id}`),
          () => get(api.url, `/v1/invoices/${id}/pdf`),
        ];
        for (const attempt of attempts) {
          const answer = await attempt();
          expect({ status: answer.status, retryAfter: answer.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
          expect(answer.ms).toBeLessThan(5_000);
        }
      });

      it('still refuses a request without an API key with 401, which needs no database', async () => {
        const answer = await request(api.url, 'POST', '/v1/workouts', { json: workoutBody({ durationSec: -1 }), apiKey: null });
        expect(answer.status).toBe(401);
      });

      it('answers a request with a key 503, bad input included: a key cannot be checked without the database', async () => {
        const answer = await post(api.url, '/v1/workouts', workoutBody({ durationSec: -1 }));
        expect({ status: answer.status, retryAfter: answer.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
        expect((await get(api.url, '/v1/jobs/abc')).status).toBe(503);
      });

      it('stops with exit code 0 on SIGTERM, API and worker alike', async () => {
        const exits = await Promise.all([api.stop('SIGTERM'), worker.stop('SIGTERM')]);
        expect(exits).toEqual([
          { code: 0, signal: null },
          { code: 0, signal: null },
        ]);
      });
    },
  );

  describe('with PostgreSQL going away after start, and coming back', () => {
    let db: TestDatabase;
    let api: BatonProcess;
    let worker: BatonProcess;
    // Each process reaches PostgreSQL through a proxy of its own, which the tests cut and restore
    // (in embedded mode the one standalone process, through one proxy).
    let apiProxy: TcpProxy;
    let workerProxy: TcpProxy;

    beforeAll(async () => {
      db = await createTestDatabase('baton_e2e_outage');
      if (testMode() === 'services') {
        [apiProxy, workerProxy] = await Promise.all([TcpProxy.startFor(db.url), TcpProxy.startFor(db.url)]);
        api = await startApi({ DATABASE_URL: apiProxy.via(db.url), RABBITMQ_URL: vhost!.url }, { ready: false });
        worker = await startWorker({ DATABASE_URL: workerProxy.via(db.url), RABBITMQ_URL: vhost!.url }, { ready: false });
        started.push(api, worker);
        await Promise.all([api.waitUntilReady(), worker.waitUntilReady()]);
        // RabbitMQ is reported, not required, so the API can be ready a moment
        // before its confirm channel is open; the tests say it stays up.
        await waitFor('the API to report RabbitMQ up', async () => ((await get(api.url, '/health/ready')).body?.rabbitmq === 'up' ? true : undefined));
      } else {
        apiProxy = workerProxy = await TcpProxy.startFor(db.url);
        ({ api, worker } = await startBaton({ DATABASE_URL: apiProxy.via(db.url) }, { ready: false }));
        started.push(api);
        await api.waitUntilReady();
      }
    });

    afterAll(async () => {
      const exits = await stopAll([api, worker]);
      await Promise.all([apiProxy?.cut(), workerProxy?.cut()]);
      await db?.drop();
      for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
    });

    it('answers 503 with Retry-After, quickly, while PostgreSQL is away; not ready naming postgres; back to 202 once it returns', async () => {
      await apiProxy.cut();
      try {
        const notReady = await waitFor('the API to report postgres down', async () => {
          if (!api.running) return 'exited';
          const ready = await get(api.url, '/health/ready');
          return ready.status === 503 && /^down/.test(ready.body?.error?.postgres ?? '') ? ready : undefined;
        });
        if (notReady === 'exited') throw new Error(`the API exited (${JSON.stringify(await api.exited)}) when PostgreSQL went away:\n${api.logs.slice(-4000)}`);
        await withServices('the API reports RabbitMQ in its readiness', async () => {
          expect(notReady.body.error.rabbitmq).toBe('up');
        });
        expect((await get(api.url, '/health/live')).status).toBe(200);

        for (const attempt of [
          () => post(api.url, '/v1/workouts', workoutBody()),
          () => post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': `outage-${randomUUID()}` }),
          () => get(api.url, `/v1/jobs/${randomUUID()}`),
        ]) {
          const answer = await attempt();
          expect({ status: answer.status, retryAfter: answer.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
          expect(answer.body).toMatchObject({ statusCode: 503 });
          expect(answer.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:\/\//);
          expect(answer.ms).toBeLessThan(5_000);
        }
      } finally {
        await apiProxy.restore();
      }

      await api.waitUntilReady();
      const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'after-outage' }));
      expect(accepted.status).toBe(202);
      expect((await waitForJob(api, accepted.body.jobId)).status).toBe('completed');
    });

    itWithServices('a worker process of its own, and the held delivery read from RabbitMQ', 'has a worker hold a job while PostgreSQL is away, and complete it, once, when it returns', async () => {
      await workerProxy.cut();
      let jobId: string;
      try {
        await waitFor('the worker to report postgres down', async () => {
          const ready = await get(worker.url, '/health/ready');
          return ready.status === 503 && ready.text.includes('postgres') ? true : undefined;
        });
        const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'held' }));
        expect(accepted.status).toBe(202);
        jobId = accepted.body.jobId;
        // The worker took the delivery and holds it, unacknowledged, without spending an attempt.
        await waitFor('the worker to hold the delivery', async () => ((await queueDepths(vhost!)).workouts?.unacked === 1 ? true : undefined));
        const [row] = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM jobs WHERE id = $1', [jobId]);
        expect(row).toEqual({ status: 'queued', attempts: 0 });
        expect(worker.running).toBe(true);
      } finally {
        await workerProxy.restore();
      }

      const job = await waitForJob(api, jobId!, ['completed', 'dead'], 30_000);
      expect(job).toMatchObject({ status: 'completed', attempts: 1, error: null });
      expect(await countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = $1', [jobId!])).toBe(1);
      await worker.waitUntilReady();
    });
  });

  describe('with an invalid environment', () => {
    // They stop at their configuration check, before connecting to anything: in embedded mode no broker is needed.
    const base = () => ({ DATABASE_URL: UNREACHABLE_DATABASE_URL, RABBITMQ_URL: vhost?.url ?? NO_BROKER_URL });

    it.each([
      ['the worker', 'WORKER_CONCURRENCY=abc', 'WORKER_CONCURRENCY', { WORKER_CONCURRENCY: 'abc' }],
      ['the worker', 'WORKER_QUEUES=faxes', 'WORKER_QUEUES', { WORKER_QUEUES: 'faxes' }],
      ['the worker', 'WORKER_QUEUES=emails without SMTP_URL', 'SMTP_URL is required: this worker consumes emails', { WORKER_QUEUES: 'emails', MAIL_FROM: 'shop@example.com' }],
      ['the worker', 'WORKER_QUEUES=emails without MAIL_FROM', 'MAIL_FROM is required', { WORKER_QUEUES: 'emails', SMTP_URL: 'smtp://127.0.0.1:2525' }],
      ['the worker', 'SMTP_URL=http://...', 'SMTP_URL must start with smtp://', { WORKER_QUEUES: 'emails', SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'shop@example.com' }],
      ['the worker', 'WORKER_RATE_LIMITS=emails=fast', 'WORKER_RATE_LIMITS', { WORKER_RATE_LIMITS: 'emails=fast' }],
      ['the API', 'DISABLED_JOB_TYPES=email', 'DISABLED_JOB_TYPES', { DISABLED_JOB_TYPES: 'email' }],
      ['the worker', 'RABBITMQ_URL=http://...', 'RABBITMQ_URL', { RABBITMQ_URL: 'http://guest:guest@127.0.0.1:5672/' }],
      ['the API', 'PORT=99999', 'PORT', { PORT: '99999' }],
      ['the API', 'JOB_MAX_ATTEMPTS=0', 'JOB_MAX_ATTEMPTS', { JOB_MAX_ATTEMPTS: '0' }],
      ['the API', 'LOG_LEVEL=loud', 'LOG_LEVEL', { LOG_LEVEL: 'loud' }],
      ['the API', 'JOB_RETRY_MAX_MS < JOB_RETRY_BASE_MS', 'JOB_RETRY_MAX_MS', { JOB_RETRY_BASE_MS: '5000', JOB_RETRY_MAX_MS: '1000' }],
    ] as Array<[string, string, string, Record<string, string>]>)('%s exits with code 1 for %s, naming %s', async (which, _, variable, overrides) => {
      const start = which === 'the API' ? startApi : startWorker;
      const child = await start({ ...base(), ...overrides }, { ready: false });
      started.push(child);
      const exit = await exitOf(child);
      expect({ exit, logs: child.logs }).toEqual({ exit: { code: 1, signal: null }, logs: expect.stringContaining(variable) });
    });

    it.each([
      ['the API', startApi],
      ['the worker', startWorker],
    ])('%s exits with code 1 when DATABASE_URL is unset, naming it', async (_, start) => {
      const child = await start({ RABBITMQ_URL: vhost?.url ?? NO_BROKER_URL }, { ready: false });
      started.push(child);
      const exit = await exitOf(child);
      expect({ exit, logs: child.logs }).toEqual({ exit: { code: 1, signal: null }, logs: expect.stringContaining('DATABASE_URL') });
    });

    it('names a malformed DATABASE_URL without printing it (it may hold a password)', async () => {
      const child = await startApi({ ...base(), DATABASE_URL: 'mysql://baton:s3cr3t-pw@db.example.com/baton' }, { ready: false });
      started.push(child);
      const exit = await exitOf(child);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(child.logs).toContain('DATABASE_URL');
      expect(child.logs).not.toContain('s3cr3t-pw');
    });
  });

  describe('the migration CLI', () => {
    let empty: Awaited<ReturnType<typeof createEmptyDatabase>>;

    beforeAll(async () => {
      empty = await createEmptyDatabase('baton_e2e_cli');
    });

    afterAll(async () => {
      await empty?.drop();
    });

    it('applies the migrations to a fresh database, then says it is up to date', async () => {
      const first = await runCli(['migrate'], { DATABASE_URL: empty.url });
      expect({ code: first.code, output: first.output }).toEqual({ code: 0, output: expect.stringContaining('applied: CreateJobPipeline1763800000000, TenantsAndApiKeys1764000000000') });
      const tables = await (async () => {
        const { Client } = await import('pg');
        const client = new Client({ connectionString: empty.url });
        await client.connect();
        try {
          return (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)).rows.map((row) => row.table_name);
        } finally {
          await client.end();
        }
      })();
      expect(tables).toEqual(expect.arrayContaining(['api_keys', 'baton_migrations', 'invoice_lines', 'invoice_pdfs', 'invoices', 'jobs', 'workout_sets', 'workouts']));

      const second = await runCli(['migrate'], { DATABASE_URL: empty.url });
      expect({ code: second.code, output: second.output.trim() }).toEqual({ code: 0, output: 'database is up to date' });
    });

    it('runs concurrent migrations one at a time, each ending well', async () => {
      const results = await Promise.all([0, 1, 2].map(() => runCli(['migrate'], { DATABASE_URL: empty.url })));
      for (const result of results) expect({ code: result.code, output: result.output.trim() }).toEqual({ code: 0, output: 'database is up to date' });
    });

    it('exits 2 with the usage for an unknown command', async () => {
      const result = await runCli(['frobnicate'], { DATABASE_URL: empty.url });
      expect(result.code).toBe(2);
      expect(result.output).toContain('unknown command: frobnicate');
      expect(result.output).toContain('usage: baton');
    });

    it('exits 2 without a command, and for migrate with extra arguments', async () => {
      expect((await runCli([], { DATABASE_URL: empty.url })).code).toBe(2);
      expect((await runCli(['migrate', 'now'], { DATABASE_URL: empty.url })).code).toBe(2);
    });

    it('exits 1 naming DATABASE_URL when it is unset', async () => {
      const result = await runCli(['migrate'], {});
      expect({ code: result.code, output: result.output }).toEqual({ code: 1, output: expect.stringContaining('DATABASE_URL') });
    });

    it('exits 1, quickly and without printing the password, when the database is unreachable', async () => {
      const started = Date.now();
      const result = await runCli(['migrate'], { DATABASE_URL: 'postgres://postgres:top-secret-pw@127.0.0.1:1/none' });
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/^baton: /m);
      expect(result.output).not.toContain('top-secret-pw');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  describe('a healthy API and worker', () => {
    let db: TestDatabase;
    let api: BatonProcess;
    let worker: BatonProcess;

    beforeAll(async () => {
      db = await createTestDatabase('baton_e2e_lifecycle');
      ({ api, worker } = await startBaton(batonEnv(db, vhost), { ready: false }));
      started.push(api, worker);
      await Promise.all([api.waitUntilReady(), worker.waitUntilReady()]);
    });

    afterAll(async () => {
      await stopAll([api, worker]);
      await db?.drop();
    });

    it('are ready, report every check up, and do work', async () => {
      // RabbitMQ is reported, not required, so the API can be ready a moment
      // before its confirm channel is open: wait for the report to say so.
      const ready = await waitFor('the API to report every check up', async () => {
        const answer = await get(api.url, '/health/ready');
        return answer.status === 200 && (testMode() !== 'services' || answer.body?.rabbitmq === 'up') ? answer : undefined;
      });
      // The standalone process has no broker to report: its queue is its own.
      expect(ready.body).toMatchObject(testMode() === 'services' ? { postgres: 'up', rabbitmq: 'up' } : { postgres: 'up', consumers: 'up' });
      const workerReady = await get(worker.url, '/health/ready');
      expect(workerReady.body).toMatchObject({ postgres: 'up', consumers: 'up' });
      const accepted = await post(api.url, '/v1/workouts', workoutBody());
      expect((await waitForJob(api, accepted.body.jobId)).status).toBe('completed');
    });

    it('both exit 0 on SIGTERM, and a job accepted just before is not lost', async () => {
      const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'last-one' }));
      expect(accepted.status).toBe(202);
      // (In embedded mode API and worker are one process: stopAll signals it once.)
      const [apiExit, workerExit = apiExit] = (await stopAll([api, worker])).map(({ code, signal }) => ({ code, signal }));
      expect({ exit: apiExit, logs: apiExit.code === 0 ? '' : api.logs }).toEqual({ exit: { code: 0, signal: null }, logs: '' });
      expect({ exit: workerExit, logs: workerExit.code === 0 ? '' : worker.logs }).toEqual({ exit: { code: 0, signal: null }, logs: '' });

      // The job is either done or still waiting, safely, for the next worker
      // (in embedded mode the next standalone process, which queues every unfinished job again at start).
      const [row] = await db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [accepted.body.jobId]);
      expect(['queued', 'completed']).toContain(row.status);
      const next = testMode() === 'services' ? await startWorker(batonEnv(db, vhost), { ready: false }) : (await startBaton(batonEnv(db, vhost), { ready: false })).api;
      started.push(next);
      await next.waitUntilReady();
      await waitFor('the job to be completed by the next worker', async () => {
        const [current] = await db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [accepted.body.jobId]);
        return current.status === 'completed' ? true : undefined;
      });
      expect(await countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = $1', [accepted.body.jobId])).toBe(1);
      expect(await next.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    });
  });
});
