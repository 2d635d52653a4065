/**
 * The read cache through the built processes (services mode, with Redis):
 * a finished job, a workout, an invoice and its PDF are answered from Redis
 * after the first read, byte for byte as from PostgreSQL; a queued job and
 * a 404 never are; tenants and caller scopes stay apart (no stack reaches a
 * key without `admin` from an admin's cached read); a retry, a retry-dead,
 * a cancel, the workers' retention sweep and `baton jobs purge` drop what
 * they change; and with the API's Redis frozen or killed every read still
 * answers 200 from the database, the API still ready. Without REDIS_URL
 * (and in embedded mode, where the standalone process has no Redis) reads
 * go to the database and no cache series exist.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  Baton,
  BatonProcess,
  batonEnv,
  bearer,
  createTestBroker,
  createTestDatabase,
  describeWithRedis,
  invoiceBody,
  OwnRedis,
  REDIS_URL,
  runCli,
  startApi,
  startBaton,
  startOwnRedis,
  storeApiKey,
  StoredKey,
  TestDatabase,
  TestVhost,
  uniqueName,
  waitFor,
  workoutBody,
} from '../support';
import { Answer, get, insertJob, post, request, stopAll, waitForJob } from './e2e-support';

const STACK = 'Error: connection refused\n    at saveWorkout (/app/dist/libs/jobs/src/workouts/workout.service.js:42:11)';

/** `baton_read_cache_requests_total` of one resource and outcome on a process; 0 before the first. */
async function cacheRequests(api: BatonProcess, resource: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const series = new RegExp(`^baton_read_cache_requests_total\\{(?=[^}]*resource="${resource}")(?=[^}]*outcome="${outcome}")[^}]*\\} (\\S+)$`, 'm');
  return Number(series.exec(text)?.[1] ?? 0);
}

/** Reads `path` twice, and says which outcome each read was counted as. */
async function readTwice(api: BatonProcess, resource: string, path: string, headers: Record<string, string> = {}): Promise<{ first: Answer; second: Answer; hits: number; misses: number }> {
  const [hitsBefore, missesBefore] = [await cacheRequests(api, resource, 'hit'), await cacheRequests(api, resource, 'miss')];
  const first = await get(api.url, path, headers);
  const second = await get(api.url, path, headers);
  return { first, second, hits: (await cacheRequests(api, resource, 'hit')) - hitsBefore, misses: (await cacheRequests(api, resource, 'miss')) - missesBefore };
}

describeWithRedis('an API and a worker process on RabbitMQ, sharing Redis', 'read cache in Redis', () => {
  const prefix = uniqueName('baton_e2e_read_cache');
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let redis: Redis;
  let reader: StoredKey;
  let otherTenant: StoredKey;
  let env: Record<string, string>;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_read_cache'), createTestBroker('baton_e2e_read_cache')]);
    [reader, otherTenant] = await Promise.all([storeApiKey(db.url, { scopes: ['jobs:read', 'jobs:write'] }), storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] })]);
    // Dead jobs older than an hour go: only those a test backdates.
    env = { ...batonEnv(db, vhost), REDIS_URL, READ_CACHE_PREFIX: prefix, JOB_RETENTION_DEAD_SEC: '3600', JOB_RETENTION_SWEEP_MS: '200' };
    redis = new Redis(REDIS_URL);
    baton = await startBaton(env);
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(baton?.processes ?? []);
    // The suite's keys only: the shared Redis serves other suites.
    const keys = (await redis?.keys(`${prefix}:*`)) ?? [];
    if (keys.length > 0) await redis.del(...keys);
    await redis?.quit();
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  /** A job of the suite's tenant, as stored: `dead` after a failed attempt with a stack, or as inserted (queued). */
  async function storedJob(status: 'dead' | 'queued' | 'cancelled'): Promise<string> {
    const id = randomUUID();
    await insertJob(db, { id, type: 'workouts', payload: workoutBody() });
    if (status !== 'queued') {
      const errors = [{ attempt: 1, at: new Date().toISOString(), message: 'connection refused', stack: STACK }];
      await db.query(`UPDATE jobs SET status = $2, attempts = 1, last_error = 'connection refused', errors = $3::jsonb WHERE id = $1`, [id, status, JSON.stringify(errors)]);
    }
    return id;
  }

  /** Submits a workout and waits for its job to complete, watching the row: a read through the API would fill the cache. */
  async function completed(path: string, body: Record<string, unknown>): Promise<{ jobId: string; result: Record<string, string> }> {
    const accepted = await post(baton.api.url, path, body);
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.jobId as string;
    const [row] = await waitFor(`job ${jobId} to complete`, async () => {
      const rows = await db.query<{ status: string; result: Record<string, string> }>(`SELECT status, result FROM jobs WHERE id = $1 AND status IN ('completed', 'dead')`, [jobId]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(row.status).toBe('completed');
    return { jobId, result: row.result };
  }

  async function completedWorkoutJob(): Promise<{ jobId: string; workoutId: string }> {
    const { jobId, result } = await completed('/v1/workouts', workoutBody());
    return { jobId, workoutId: result.workoutId };
  }

  it('answers a completed job from Redis after the first read, byte for byte as from PostgreSQL, even once its row is gone', async () => {
    const { jobId } = await completedWorkoutJob();
    const { first, second, hits, misses } = await readTwice(baton.api, 'job', `/v1/jobs/${jobId}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: jobId, status: 'completed' });
    expect(second.status).toBe(200);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect([misses, hits]).toEqual([1, 1]);

    // Proof that Redis answers: the row is deleted behind Baton's back, and the read is unchanged.
    await db.query(`DELETE FROM jobs WHERE id = $1`, [jobId]);
    const third = await get(baton.api.url, `/v1/jobs/${jobId}`);
    expect(third.status).toBe(200);
    expect(third.bytes.equals(first.bytes)).toBe(true);
  });

  it('answers a workout, an invoice and its PDF from Redis after the first read, byte for byte', async () => {
    const { workoutId } = await completedWorkoutJob();
    const workout = await readTwice(baton.api, 'workout', `/v1/workouts/${workoutId}`);
    expect(workout.first.status).toBe(200);
    expect(workout.first.body).toMatchObject({ id: workoutId });
    expect(workout.second.bytes.equals(workout.first.bytes)).toBe(true);
    expect([workout.misses, workout.hits]).toEqual([1, 1]);

    const { invoiceId } = (await completed('/v1/invoices', invoiceBody())).result;
    const invoice = await readTwice(baton.api, 'invoice', `/v1/invoices/${invoiceId}`);
    expect(invoice.first.status).toBe(200);
    expect(invoice.first.body).toMatchObject({ id: invoiceId, pdfUrl: `/v1/invoices/${invoiceId}/pdf` });
    expect(invoice.second.bytes.equals(invoice.first.bytes)).toBe(true);
    expect([invoice.misses, invoice.hits]).toEqual([1, 1]);

    const pdf = await readTwice(baton.api, 'invoice-pdf', `/v1/invoices/${invoiceId}/pdf`);
    expect(pdf.first.status).toBe(200);
    expect(pdf.first.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.second.bytes.equals(pdf.first.bytes)).toBe(true);
    for (const name of ['content-type', 'content-disposition', 'content-length']) expect(pdf.second.headers.get(name)).toBe(pdf.first.headers.get(name));
    expect(pdf.first.headers.get('content-disposition')).toMatch(/^attachment; filename="[^"]+\.pdf"$/);
    expect([pdf.misses, pdf.hits]).toEqual([1, 1]);
  });

  it('never caches a queued job, nor a 404', async () => {
    const queuedId = await storedJob('queued');
    const queued = await readTwice(baton.api, 'job', `/v1/jobs/${queuedId}`);
    expect([queued.first.body.status, queued.second.body.status]).toEqual(['queued', 'queued']);
    expect([queued.misses, queued.hits]).toEqual([2, 0]);

    const missingId = randomUUID();
    const missing = await readTwice(baton.api, 'job', `/v1/jobs/${missingId}`);
    expect([missing.first.status, missing.second.status]).toEqual([404, 404]);
    expect(missing.hits).toBe(0);
    // A job stored after its 404 is read at once.
    await insertJob(db, { id: missingId, type: 'workouts', payload: workoutBody() });
    expect((await get(baton.api.url, `/v1/jobs/${missingId}`)).body).toMatchObject({ id: missingId, status: 'queued' });
    await expect(redis.keys(`${prefix}:*:${queuedId}`)).resolves.toEqual([]);
    await expect(redis.keys(`${prefix}:*:${missingId}`)).resolves.toEqual([]);
  });

  it("never answers another tenant's cached job: 404 to it", async () => {
    const { jobId, workoutId } = await completedWorkoutJob();
    expect((await readTwice(baton.api, 'job', `/v1/jobs/${jobId}`)).hits).toBe(1);
    expect((await get(baton.api.url, `/v1/workouts/${workoutId}`)).status).toBe(200);
    expect((await get(baton.api.url, `/v1/jobs/${jobId}`, bearer(otherTenant.key))).status).toBe(404);
    expect((await get(baton.api.url, `/v1/workouts/${workoutId}`, bearer(otherTenant.key))).status).toBe(404);
  });

  it("shows a dead job's stacks to admin keys only, whichever read filled the cache", async () => {
    const deadId = await storedJob('dead');
    const admin = await readTwice(baton.api, 'job', `/v1/jobs/${deadId}`);
    expect(admin.first.body.errors).toEqual([expect.objectContaining({ message: 'connection refused', stack: STACK })]);
    expect(admin.second.bytes.equals(admin.first.bytes)).toBe(true);
    expect(admin.hits).toBe(1);

    const plain = await readTwice(baton.api, 'job', `/v1/jobs/${deadId}`, bearer(reader.key));
    expect(plain.hits).toBe(2);
    expect(plain.first.body.errors).toEqual([{ attempt: 1, at: expect.any(String), message: 'connection refused' }]);
    expect(plain.first.text).not.toContain('saveWorkout');
    expect(plain.second.bytes.equals(plain.first.bytes)).toBe(true);

    // And the other way round: a key without admin fills the cache, an admin key still sees the stack.
    const otherDead = await storedJob('dead');
    const plainFirst = await get(baton.api.url, `/v1/jobs/${otherDead}`, bearer(reader.key));
    expect(plainFirst.text).not.toContain('saveWorkout');
    expect((await get(baton.api.url, `/v1/jobs/${otherDead}`)).body.errors[0].stack).toBe(STACK);
  });

  it('drops a dead job on its retry: the next read sees it queued again', async () => {
    const deadId = await storedJob('dead');
    expect((await readTwice(baton.api, 'job', `/v1/jobs/${deadId}`)).hits).toBe(1);
    expect((await post(baton.api.url, `/v1/jobs/${deadId}/retry`, {})).status).toBe(202);
    const after = await get(baton.api.url, `/v1/jobs/${deadId}`);
    expect(after.status).toBe(200);
    expect(after.body.status).not.toBe('dead');
  });

  it('drops every job a retry-dead sends back', async () => {
    const ids = [await storedJob('dead'), await storedJob('dead')];
    for (const id of ids) expect((await readTwice(baton.api, 'job', `/v1/jobs/${id}`)).hits).toBe(1);
    const retried = await post(baton.api.url, '/v1/jobs/retry-dead', { type: 'workouts' });
    expect(retried.status).toBe(200);
    expect(retried.body.retried).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect((await get(baton.api.url, `/v1/jobs/${id}`)).body).toMatchObject({ id, status: expect.not.stringMatching(/^dead$/) });
  });

  it('answers a cancelled job from the cancel on, and caches it then', async () => {
    const queuedId = await storedJob('queued');
    expect((await get(baton.api.url, `/v1/jobs/${queuedId}`)).body.status).toBe('queued');
    const cancelled = await post(baton.api.url, `/v1/jobs/${queuedId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await get(baton.api.url, `/v1/jobs/${queuedId}`)).body.status).toBe('cancelled');
  });

  it("drops a job the workers' retention deletes: 410, not its cached 200", async () => {
    const deadId = await storedJob('dead');
    expect((await readTwice(baton.api, 'job', `/v1/jobs/${deadId}`)).hits).toBe(1);
    // Past JOB_RETENTION_DEAD_SEC: the next sweep deletes it. Only the worker's invalidation can
    // turn the answer to 410 within READ_CACHE_TTL_SEC (10 minutes).
    await db.query(`UPDATE jobs SET updated_at = now() - interval '2 hours' WHERE id = $1`, [deadId]);
    const gone = await waitFor(`job ${deadId} to answer 410`, async () => {
      const answer = await get(baton.api.url, `/v1/jobs/${deadId}`);
      return answer.status === 200 ? undefined : answer;
    }, 15_000);
    expect(gone.status).toBe(410);
  });

  it('drops the jobs `baton jobs purge` deletes', async () => {
    const cancelledId = await storedJob('cancelled');
    expect((await readTwice(baton.api, 'job', `/v1/jobs/${cancelledId}`)).hits).toBe(1);
    await db.query(`UPDATE jobs SET updated_at = now() - interval '3 days' WHERE id = $1`, [cancelledId]);
    const purge = await runCli(['jobs', 'purge', '--status', 'cancelled', '--older-than', '2d'], { DATABASE_URL: db.url, REDIS_URL, READ_CACHE_PREFIX: prefix });
    expect(purge).toMatchObject({ code: 0, stderr: '' });
    expect(purge.stdout).toMatch(/^deleted 1 cancelled jobs/);
    expect((await get(baton.api.url, `/v1/jobs/${cancelledId}`)).status).toBe(410);
  });

  it('drops a dead job `baton jobs retry` sends back', async () => {
    const deadId = await storedJob('dead');
    expect((await readTwice(baton.api, 'job', `/v1/jobs/${deadId}`)).hits).toBe(1);
    const retry = await runCli(['jobs', 'retry', deadId], { DATABASE_URL: db.url, RABBITMQ_URL: vhost!.url, REDIS_URL, READ_CACHE_PREFIX: prefix });
    expect(retry).toMatchObject({ code: 0, stderr: '' });
    expect((await get(baton.api.url, `/v1/jobs/${deadId}`)).body).toMatchObject({ id: deadId, status: expect.not.stringMatching(/^dead$/) });
  });

  describe('with the API\'s Redis frozen, then killed', () => {
    let own: OwnRedis;
    let api: BatonProcess;

    beforeAll(async () => {
      own = await startOwnRedis();
      api = await startApi({ ...env, REDIS_URL: own.url, READ_CACHE_PREFIX: `${prefix}-own` });
    }, 60_000);

    afterAll(async () => {
      own?.thaw();
      await own?.kill();
      const [exit] = await stopAll([api]);
      expect(exit).toMatchObject({ code: 0, signal: null });
    }, 30_000);

    it('still answers every read 200 from PostgreSQL, as fast, with the API ready, counting errors', async () => {
      const { jobId, workoutId } = await completedWorkoutJob();
      const cached = await readTwice(api, 'job', `/v1/jobs/${jobId}`);
      expect(cached.hits).toBe(1);
      const workout = await get(api.url, `/v1/workouts/${workoutId}`);

      for (const [state, change] of [
        ['frozen', () => own.freeze()],
        ['killed', async () => {
          own.thaw();
          await own.kill();
        }],
      ] as const) {
        await change();
        const errorsBefore = await cacheRequests(api, 'job', 'error');
        for (let i = 0; i < 3; i++) {
          const job = await get(api.url, `/v1/jobs/${jobId}`);
          expect({ state, status: job.status }).toEqual({ state, status: 200 });
          expect(job.bytes.equals(cached.first.bytes)).toBe(true);
          // The read waits READ_CACHE_TIMEOUT_MS (50 ms) on Redis at most, then goes to PostgreSQL.
          expect(job.ms).toBeLessThan(1_000);
          const again = await get(api.url, `/v1/workouts/${workoutId}`);
          expect(again.status).toBe(200);
          expect(again.bytes.equals(workout.bytes)).toBe(true);
        }
        expect(await cacheRequests(api, 'job', 'error')).toBeGreaterThanOrEqual(errorsBefore + 3);
        expect((await request(api.url, 'GET', '/health/ready', { apiKey: null })).status).toBe(200);
      }
    });
  });
});

describe('without REDIS_URL', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_no_read_cache'), createTestBroker('baton_e2e_no_read_cache')]);
    baton = await startBaton(batonEnv(db, vhost));
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  it('reads every time from PostgreSQL, and exports no cache series', async () => {
    const accepted = await post(baton.api.url, '/v1/workouts', workoutBody());
    const job = await waitForJob(baton.api, accepted.body.jobId);
    expect(job.status).toBe('completed');
    const first = await get(baton.api.url, `/v1/jobs/${job.id}`);
    await db.query(`UPDATE jobs SET attempts = 7 WHERE id = $1`, [job.id]);
    const second = await get(baton.api.url, `/v1/jobs/${job.id}`);
    expect([first.body.attempts, second.body.attempts]).toEqual([1, 7]);
    const metrics = await (await fetch(`${baton.api.url}/metrics`)).text();
    expect(metrics).not.toMatch(/^baton_read_cache_requests_total\{/m);
  });
});
