/**
 * Acting on jobs after they were accepted: the list with its cursor, retry
 * of dead jobs, cancellation, each attempt's error on the job; over HTTP and
 * through the operators' CLI (`jobs`, `queues`, `dlq`). Failures are injected
 * from outside Baton, with a trigger in the suite's own database.
 */
import { randomUUID } from 'node:crypto';
import {
  Baton,
  batonEnv,
  BatonProcess,
  bearer,
  createTestBroker,
  createTestDatabase,
  describeWithServices,
  installSlowWorkouts,
  runCli,
  startBaton,
  storeApiKey,
  startWorker,
  StoredKey,
  TestDatabase,
  testMode,
  TestVhost,
  waitFor,
  withServices,
  workoutBody,
} from '../support';
import { Broker, countRows, get, installPoison, JobView, openBroker, POISON_MESSAGE, post, setPoison, stopAll, waitForJob, waitUntilSettled } from './e2e-support';

describe('job operations', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let reader: StoredKey;
  let writer: StoredKey;
  let otherWriter: StoredKey;
  let otherTenant: StoredKey;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_operations'), createTestBroker('baton_e2e_operations')]);
    await installPoison(db);
    await installSlowWorkouts(db);
    [reader, writer, otherWriter, otherTenant] = await Promise.all([
      storeApiKey(db.url, { scopes: ['jobs:read'] }),
      storeApiKey(db.url, { scopes: ['jobs:write', 'jobs:read'] }),
      storeApiKey(db.url, { scopes: ['jobs:write', 'jobs:read'] }),
      storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] }),
    ]);
    baton = await startBaton({ ...batonEnv(db, vhost), JOB_MAX_ATTEMPTS: '2', JOB_RETRY_BASE_MS: '50', JOB_RETRY_MAX_MS: '100', WORKER_CONCURRENCY: '1' });
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  async function submit(body = workoutBody(), key?: StoredKey): Promise<string> {
    const answer = await post(baton.api.url, '/v1/workouts', body, key ? bearer(key.key) : {});
    expect(answer.status).toBe(202);
    return answer.body.jobId;
  }

  async function deadJob(): Promise<JobView> {
    const job = await waitForJob(baton.api, await submit(workoutBody({ userId: `poison-${randomUUID().slice(0, 8)}` })));
    expect(job.status).toBe('dead');
    return job;
  }

  /** Holds the one worker slot with a slow workout, so that jobs submitted meanwhile stay queued. */
  async function occupyWorker(ms: number): Promise<string> {
    const jobId = await submit(workoutBody({ userId: `slow-${ms}-${randomUUID().slice(0, 8)}` }));
    await waitForJob(baton.api, jobId, ['processing']);
    return jobId;
  }

  describe('each attempt\'s error', () => {
    it('is kept on the job, with its stack for admin keys only', async () => {
      const dead = await deadJob();
      expect(dead.attempts).toBe(2);
      expect(dead.error).toContain(POISON_MESSAGE);
      const asAdmin = (await get(baton.api.url, `/v1/jobs/${dead.id}`)).body;
      expect(asAdmin.errors).toEqual([
        { attempt: 1, at: expect.any(String), message: expect.stringContaining(POISON_MESSAGE), stack: expect.stringContaining(POISON_MESSAGE) },
        { attempt: 2, at: expect.any(String), message: expect.stringContaining(POISON_MESSAGE), stack: expect.any(String) },
      ]);
      const asReader = (await get(baton.api.url, `/v1/jobs/${dead.id}`, bearer(reader.key))).body;
      expect(asReader.errors).toEqual([
        { attempt: 1, at: asAdmin.errors[0].at, message: asAdmin.errors[0].message },
        { attempt: 2, at: asAdmin.errors[1].at, message: asAdmin.errors[1].message },
      ]);
    });
  });

  describe('GET /v1/jobs', () => {
    it('lists the tenant\'s jobs newest first, filtered, a page at a time, stable while jobs arrive', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await submit());
      const newest = [...ids].reverse();
      const first = await get(baton.api.url, '/v1/jobs?limit=2&type=workouts');
      expect(first.status).toBe(200);
      expect(first.body.jobs.map((job: JobView) => job.id)).toEqual(newest.slice(0, 2));
      expect(first.body.nextCursor).toEqual(expect.any(String));
      await submit();
      const second = await get(baton.api.url, `/v1/jobs?limit=3&type=workouts&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      expect(second.body.jobs.map((job: JobView) => job.id)).toEqual(newest.slice(2, 5));

      const dead = await get(baton.api.url, '/v1/jobs?status=dead&limit=100');
      expect(dead.body.jobs.length).toBeGreaterThan(0);
      for (const job of dead.body.jobs) expect(job.status).toBe('dead');
      expect((await get(baton.api.url, '/v1/jobs?type=invoices')).body).toEqual({ jobs: [], nextCursor: null });
    });

    it('shows no other tenant\'s job', async () => {
      const theirs = await submit(workoutBody(), otherTenant);
      const ours = await get(baton.api.url, '/v1/jobs?limit=100');
      expect(ours.body.jobs.map((job: JobView) => job.id)).not.toContain(theirs);
      const listed = await get(baton.api.url, '/v1/jobs?limit=100', bearer(otherTenant.key));
      expect(listed.body.jobs.map((job: JobView) => job.id)).toEqual([theirs]);
    });

    it.each([
      ['status=bogus', 'status'],
      ['type=invoice', 'type'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      ['page=2', 'page'],
      ['status=dead&status=queued', 'status'],
    ])('answers %s with a 400 naming %s', async (query, field) => {
      const answer = await get(baton.api.url, `/v1/jobs?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    });

    it('needs jobs:read', async () => {
      expect((await get(baton.api.url, '/v1/jobs', bearer(otherWriter.key))).status).toBe(200);
      const writeOnly = await storeApiKey(db.url, { scopes: ['jobs:write'] });
      expect((await get(baton.api.url, '/v1/jobs', bearer(writeOnly.key))).status).toBe(403);
    });
  });

  describe('POST /v1/jobs/:jobId/retry', () => {
    it('sends a dead job back with a fresh attempt budget (202), for admin keys only', async () => {
      const dead = await deadJob();
      expect((await post(baton.api.url, `/v1/jobs/${dead.id}/retry`, undefined, bearer(writer.key))).status).toBe(403);
      // Still poisoned: the retry runs its full budget again, and fails again.
      const retried = await post(baton.api.url, `/v1/jobs/${dead.id}/retry`, undefined);
      expect(retried.status).toBe(202);
      expect(retried.body).toEqual({ jobId: dead.id, status: 'queued', statusUrl: `/v1/jobs/${dead.id}` });
      const again = await waitForJob(baton.api, dead.id, ['dead']);
      expect(again.attempts).toBe(2);
      expect(again.errors).toHaveLength(4);
    });

    it('answers 409 for a job that is not dead, 404 for an unknown or another tenant\'s job', async () => {
      const completed = await waitForJob(baton.api, await submit());
      expect(completed.status).toBe('completed');
      const conflict = await post(baton.api.url, `/v1/jobs/${completed.id}/retry`, undefined);
      expect(conflict.status).toBe(409);
      expect(conflict.body.message).toContain('only a dead job can be retried');
      expect((await post(baton.api.url, `/v1/jobs/${randomUUID()}/retry`, undefined)).status).toBe(404);
      const dead = await deadJob();
      expect((await post(baton.api.url, `/v1/jobs/${dead.id}/retry`, undefined, bearer(otherTenant.key))).status).toBe(404);
      expect((await get(baton.api.url, `/v1/jobs/${dead.id}`)).body.status).toBe('dead');
      expect((await post(baton.api.url, '/v1/jobs/not-a-uuid/retry', undefined)).status).toBe(400);
    });
  });

  describe('POST /v1/jobs/:jobId/cancel', () => {
    /**
     * A Baton on a database (and vhost) of its own whose workers consume
     * invoices only, as when the workouts Deployment is scaled to zero: a
     * workout submitted there stays queued, in both test modes, until
     * `resumeWorkouts()` starts a worker for it. (Holding the suite's one
     * worker busy instead works only on a PostgreSQL server: on PGlite's
     * single backend a worker held inside its transaction holds every query.)
     */
    interface WorkoutsPaused {
      db: TestDatabase;
      vhost?: TestVhost;
      baton: Baton;
      writer: StoredKey;
      otherWriter: StoredKey;
      reader: StoredKey;
      otherTenant: StoredKey;
      /** Starts a worker for workouts; returns the API to go on with. */
      resumeWorkouts(): Promise<BatonProcess>;
    }
    const paused: WorkoutsPaused[] = [];

    async function startWithoutWorkoutWorkers(): Promise<WorkoutsPaused> {
      const [pausedDb, pausedVhost] = await Promise.all([createTestDatabase('baton_e2e_cancel'), createTestBroker('baton_e2e_cancel')]);
      const env = batonEnv(pausedDb, pausedVhost);
      const [keyOfWriter, keyOfOtherWriter, keyOfReader, keyOfOtherTenant] = await Promise.all([
        storeApiKey(pausedDb.url, { scopes: ['jobs:write', 'jobs:read'] }),
        storeApiKey(pausedDb.url, { scopes: ['jobs:write', 'jobs:read'] }),
        storeApiKey(pausedDb.url, { scopes: ['jobs:read'] }),
        storeApiKey(pausedDb.url, { tenant: 'other-tenant', scopes: ['admin'] }),
      ]);
      const entry: WorkoutsPaused = {
        db: pausedDb,
        vhost: pausedVhost,
        baton: await startBaton({ ...env, WORKER_QUEUES: 'invoices' }),
        writer: keyOfWriter,
        otherWriter: keyOfOtherWriter,
        reader: keyOfReader,
        otherTenant: keyOfOtherTenant,
        async resumeWorkouts() {
          if (testMode() === 'services') {
            entry.baton.processes.push(await startWorker({ ...env, WORKER_QUEUES: 'workouts' }));
          } else {
            // The in-process queue lives and dies with its process: the next
            // one starts from PostgreSQL, republishing every unfinished job.
            await stopAll(entry.baton.processes);
            entry.baton = await startBaton(env);
          }
          return entry.baton.api;
        },
      };
      paused.push(entry);
      return entry;
    }

    afterAll(async () => {
      for (const entry of paused.splice(0)) {
        await stopAll(entry.baton.processes);
        await Promise.all([entry.db.drop(), entry.vhost?.drop()]);
      }
    }, 60_000);

    async function submitTo(url: string, key: StoredKey, body = workoutBody()): Promise<string> {
      const answer = await post(url, '/v1/workouts', body, bearer(key.key));
      expect(answer.status).toBe(202);
      return answer.body.jobId;
    }

    it('cancels a queued job (200), which then never runs; a running or finished job is a 409', async () => {
      const { db: pausedDb, vhost: pausedVhost, baton: pausedBaton, writer: owner, resumeWorkouts } = await startWithoutWorkoutWorkers();
      const queued = await submitTo(pausedBaton.api.url, owner, workoutBody({ userId: `cancelled-${randomUUID().slice(0, 8)}` }));
      const cancelled = await post(pausedBaton.api.url, `/v1/jobs/${queued}/cancel`, undefined, bearer(owner.key));
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: queued, status: 'cancelled' });

      // A worker for workouts comes: it must leave the cancelled job alone, and go on with the next.
      const api = await resumeWorkouts();
      const url = api.url;
      const after = await submitTo(url, owner);
      expect((await waitForJob(api, after)).status).toBe('completed');
      await withServices('the cancelled job\'s message was delivered to the worker and acknowledged without effect', () => waitUntilSettled(pausedVhost!, 'workouts'));
      expect((await get(url, `/v1/jobs/${queued}`, bearer(owner.key))).body).toMatchObject({ status: 'cancelled', attempts: 0, result: null });
      expect(await countRows(pausedDb, 'SELECT count(*) FROM workouts WHERE job_id = $1', [queued])).toBe(0);

      expect((await post(url, `/v1/jobs/${queued}/cancel`, undefined, bearer(owner.key))).status).toBe(409);
      const finished = await post(url, `/v1/jobs/${after}/cancel`, undefined, bearer(owner.key));
      expect(finished.status).toBe(409);
      expect(finished.body.message).toContain('completed');

      await withServices(
        { needs: 'PostgreSQL', reason: 'a worker held inside its transaction (pg_sleep) holds PGlite\'s single backend, so no request can see the job processing meanwhile' },
        async () => {
          const running = await occupyWorker(1500);
          const busy = await post(baton.api.url, `/v1/jobs/${running}/cancel`, undefined);
          expect(busy.status).toBe(409);
          expect(busy.body.message).toContain('processing');
          expect((await waitForJob(baton.api, running)).status).toBe('completed');
        },
      );
    });

    it('lets a jobs:write key cancel only its own jobs; admin keys any job of their tenant; nobody another tenant\'s', async () => {
      const { baton: pausedBaton, writer: owner, otherWriter: someoneElse, reader: readOnly, otherTenant: elsewhere } = await startWithoutWorkoutWorkers();
      const url = pausedBaton.api.url;
      const mine = await submitTo(url, owner);
      const theirs = await submitTo(url, someoneElse);
      const refused = await post(url, `/v1/jobs/${theirs}/cancel`, undefined, bearer(owner.key));
      expect(refused.status).toBe(403);
      expect((await post(url, `/v1/jobs/${mine}/cancel`, undefined, bearer(readOnly.key))).status).toBe(403);
      expect((await post(url, `/v1/jobs/${mine}/cancel`, undefined, bearer(elsewhere.key))).status).toBe(404);
      expect((await post(url, `/v1/jobs/${mine}/cancel`, undefined, bearer(owner.key))).status).toBe(200);
      // The suite's admin key (TEST_API_KEY) is stored in every test database.
      expect((await post(url, `/v1/jobs/${theirs}/cancel`, undefined)).status).toBe(200);
    });
  });

  describe('the jobs CLI', () => {
    it('lists dead jobs as a table and as JSON, filtered by status and type', async () => {
      const dead = await deadJob();
      const table = await runCli(['jobs', 'list', '--status', 'dead', '--type', 'workout'], { DATABASE_URL: db.url });
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TENANT\s+TYPE\s+STATUS\s+ATTEMPTS\s+CREATED\s+LAST ERROR$/);
      expect(table.stdout).toMatch(new RegExp(`${dead.id}\\s+e2e\\s+workouts\\s+dead\\s+2/2`));
      const json = await runCli(['jobs', 'list', '--status', 'dead', '--json', '--limit', '1000'], { DATABASE_URL: db.url });
      const listed = JSON.parse(json.stdout) as Array<{ id: string; status: string; errors: unknown[] }>;
      expect(listed.find((job) => job.id === dead.id)).toMatchObject({ status: 'dead', errors: expect.any(Array) });
      expect(listed.every((job) => job.status === 'dead')).toBe(true);
      const none = await runCli(['jobs', 'list', '--type', 'invoices'], { DATABASE_URL: db.url });
      expect({ code: none.code, stdout: none.stdout, stderr: none.stderr.trim() }).toEqual({ code: 0, stdout: '', stderr: 'no jobs' });
    });

    it.each([
      [['jobs'], 2],
      [['jobs', 'frobnicate'], 2],
      [['jobs', 'list', '--status', 'bogus'], 2],
      [['jobs', 'list', '--type', 'pdfs'], 2],
      [['jobs', 'list', '--limit', '0'], 2],
      [['jobs', 'retry'], 2],
      [['jobs', 'retry', 'not-a-uuid'], 1],
    ])('refuses %j with exit code %i', async (args, code) => {
      const result = await runCli(args, { DATABASE_URL: db.url });
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(/^baton: /);
    });

    it('exits 1 with a clear message when the job is unknown or not dead', async () => {
      const unknown = randomUUID();
      const missing = await runCli(['jobs', 'retry', unknown], { DATABASE_URL: db.url });
      expect({ code: missing.code, stderr: missing.stderr.trim() }).toEqual({ code: 1, stderr: `baton: no job ${unknown}` });
      const completed = await waitForJob(baton.api, await submit());
      const notDead = await runCli(['jobs', 'retry', completed.id], { DATABASE_URL: db.url });
      expect({ code: notDead.code, stderr: notDead.stderr.trim() }).toEqual({ code: 1, stderr: `baton: job ${completed.id} is completed: only a dead job can be retried` });
    });
  });
});

describeWithServices('the operators\' CLI reads and replays RabbitMQ queues', 'the CLI on RabbitMQ: queues, jobs retry, dead-letter replay and purge', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let baton: Baton;
  let broker: Broker;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('baton_e2e_dlq');
    vhost = (await createTestBroker('baton_e2e_dlq'))!;
    await installPoison(db);
    env = { ...batonEnv(db, vhost), JOB_MAX_ATTEMPTS: '1', JOB_RETRY_BASE_MS: '50', JOB_RETRY_MAX_MS: '100' };
    baton = await startBaton(env);
    broker = await openBroker(vhost);
  }, 90_000);

  afterAll(async () => {
    await broker?.close();
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  async function deadJobs(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await post(baton.api.url, '/v1/workouts', workoutBody({ userId: `poison-${i}` }));
      ids.push(answer.body.jobId);
    }
    for (const id of ids) expect((await waitForJob(baton.api, id)).status).toBe('dead');
    await waitFor('their dead letters', async () => ((await broker.checkQueue('workouts.dead')).messageCount >= count ? true : undefined));
    return ids;
  }

  it('shows depth, consumers, retries and dead letters per queue', async () => {
    await deadJobs(2);
    const table = await runCli(['queues'], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    // With DATABASE_URL set, whether each queue is paused too.
    expect(lines[0]).toMatch(/^QUEUE\s+READY\s+CONSUMERS\s+RETRYING\s+DEAD LETTERS\s+PAUSED$/);
    expect(lines.find((line) => line.startsWith('workouts '))).toMatch(/^workouts\s+\d+\s+[1-9]\d*\s+\d+\s+([2-9]|\d\d+)\s+no$/);
    expect((await runCli(['queues'], { RABBITMQ_URL: env.RABBITMQ_URL })).stdout.split('\n')[0]).toMatch(/DEAD LETTERS$/);
    const json = JSON.parse((await runCli(['queues', '--json'], env)).stdout);
    expect(json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'invoices', queue: 'invoices', ready: 0, dead: 0, consumers: expect.any(Number), paused: false }),
        // The webhook deliveries' queue, consumed by the same worker (its WORKER_QUEUES is unset).
        expect.objectContaining({ type: 'webhooks', queue: 'webhooks', retrying: 0, consumers: expect.any(Number) }),
      ]),
    );
  });

  it('replays dead letters once the cause is fixed: each job completes once, obsolete letters go, letters naming no job stay', async () => {
    await runCli(['dlq', 'purge', 'workouts', '--yes'], env);
    const ids = await deadJobs(3);
    // A letter of a job retried since (over HTTP), and one naming no job at all.
    await broker.publish('', 'workouts.dead', '{"garbage":true}', { messageId: 'not-a-job' });
    await setPoison(db, false);
    const retriedSince = ids[2];
    expect((await post(baton.api.url, `/v1/jobs/${retriedSince}/retry`, undefined)).status).toBe(202);
    expect((await waitForJob(baton.api, retriedSince)).status).toBe('completed');

    const replay = await runCli(['dlq', 'replay', 'workouts.dead'], env);
    expect({ code: replay.code, stdout: replay.stdout.trim() }).toEqual({
      code: 0,
      stdout: 'workouts.dead: replayed 2, dropped 1 obsolete, kept 1 naming no job',
    });
    for (const id of ids) expect((await waitForJob(baton.api, id)).status).toBe('completed');
    expect(await countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = ANY($1::uuid[])', [ids])).toBe(3);
    expect((await broker.checkQueue('workouts.dead')).messageCount).toBe(1);
    await setPoison(db, true);
  });

  it('retries one dead job from the CLI', async () => {
    const [dead] = await deadJobs(1);
    await setPoison(db, false);
    const result = await runCli(['jobs', 'retry', dead], env);
    expect({ code: result.code, stdout: result.stdout.trim() }).toEqual({ code: 0, stdout: `job ${dead} queued again (workouts), with a fresh attempt budget` });
    const job = await waitForJob(baton.api, dead);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    await setPoison(db, true);
  });

  it('purges a dead-letter queue only with --yes', async () => {
    await broker.publish('', 'workouts.dead', 'junk', { messageId: 'junk-1' });
    const refused = await runCli(['dlq', 'purge', 'workouts'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    expect((await broker.checkQueue('workouts.dead')).messageCount).toBeGreaterThan(0);
    const purged = await runCli(['dlq', 'purge', 'workouts', '--yes'], env);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/^workouts\.dead: purged [1-9]\d* dead letters$/m);
    expect((await broker.checkQueue('workouts.dead')).messageCount).toBe(0);
  });

  it.each([
    [['dlq'], 2],
    [['dlq', 'replay'], 2],
    [['dlq', 'replay', 'pdfs'], 2],
    [['dlq', 'replay', 'workouts', '--limit', 'x'], 2],
    [['dlq', 'drain', 'workouts'], 2],
    [['queues', 'extra'], 2],
  ])('refuses %j with exit code %i', async (args, code) => {
    expect((await runCli(args, env)).code).toBe(code);
  });

  it('exits 1 quickly, without the password, when RabbitMQ is unreachable', async () => {
    const started = Date.now();
    const result = await runCli(['queues'], { ...env, RABBITMQ_URL: 'amqp://baton:rabbit-secret-pw@127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^baton: /);
    expect(result.output).not.toContain('rabbit-secret-pw');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
