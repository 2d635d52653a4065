/**
 * Retention through the built processes: with a 2-second completed
 * retention, a worker's sweep deletes a completed job, which then answers
 * 410 to its tenant and 404 to any other, while its workout stays readable;
 * a queued job as old is left alone; the job's idempotency key is free
 * again. `baton jobs purge` deletes by hand. In services mode an API and a
 * worker on PostgreSQL and RabbitMQ; in embedded mode the standalone process.
 */
import { randomUUID } from 'node:crypto';
import { Baton, batonEnv, bearer, createTestBroker, createTestDatabase, runCli, startBaton, storeApiKey, StoredKey, TestDatabase, TestVhost, waitFor, workoutBody } from '../support';
import { get, insertJob, post, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

const COMPLETED_RETENTION_SEC = 2;

/** A labelled series from a process's /metrics; NaN when it is not there. */
async function expiredTotal(baseUrl: string, type: string, status: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const series = new RegExp(`^baton_jobs_expired_total\\{(?=[^}]*type="${type}")(?=[^}]*status="${status}")[^}]*\\} (\\S+)$`, 'm');
  return Number(series.exec(text)?.[1]);
}

describe('job retention', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let otherTenant: StoredKey;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_retention'), createTestBroker('baton_e2e_retention')]);
    otherTenant = await storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] });
    baton = await startBaton({ ...batonEnv(db, vhost), JOB_RETENTION_COMPLETED_SEC: String(COMPLETED_RETENTION_SEC), JOB_RETENTION_SWEEP_MS: '200' });
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  /** Waits until GET /v1/jobs/:id answers 410, and returns that answer. */
  async function whenExpired(jobId: string) {
    return waitFor(`job ${jobId} to expire`, async () => {
      const answer = await get(baton.api.url, `/v1/jobs/${jobId}`);
      return answer.status === 200 ? undefined : answer;
    });
  }

  it('deletes a completed job after its retention: 410 to its tenant, 404 to another, its workout still 200; a queued job as old stays', async () => {
    const queuedId = randomUUID();
    // Queued an hour ago and published, so neither the relay nor a worker takes it: only retention could touch it.
    await insertJob(db, { id: queuedId, type: 'workouts', payload: workoutBody(), ageSeconds: 3_600 });
    const expiredBefore = await expiredTotal(baton.worker.url, 'workouts', 'completed');
    expect(expiredBefore).toBeGreaterThanOrEqual(0);

    const accepted = await post(baton.api.url, '/v1/workouts', workoutBody());
    expect(accepted.status).toBe(202);
    const { jobId } = accepted.body;
    const completed = await waitForJob(baton.api, jobId);
    expect(completed.status).toBe('completed');
    const workoutId = completed.result?.workoutId as string;
    expect(workoutId).toMatch(UUID_PATTERN);

    const gone = await whenExpired(jobId);
    expect(gone.status).toBe(410);
    expect(gone.body).toEqual({ statusCode: 410, error: 'Gone', message: expect.stringContaining(jobId), requestId: expect.any(String) });
    // Not before its retention had passed since it completed.
    const [tombstone] = await db.query<{ age: number }>(`SELECT extract(epoch FROM expired_at - $2::timestamptz)::float8 AS age FROM expired_jobs WHERE id = $1`, [jobId, completed.completedAt]);
    expect(tombstone.age).toBeGreaterThanOrEqual(COMPLETED_RETENTION_SEC - 0.1);

    expect((await get(baton.api.url, `/v1/jobs/${jobId}`, bearer(otherTenant.key))).status).toBe(404);
    expect((await get(baton.api.url, `/v1/jobs/${randomUUID()}`)).status).toBe(404);

    const workout = await get(baton.api.url, `/v1/workouts/${workoutId}`);
    expect(workout.status).toBe(200);
    expect(workout.body).toMatchObject({ id: workoutId });

    const queued = await get(baton.api.url, `/v1/jobs/${queuedId}`);
    expect(queued.status).toBe(200);
    expect(queued.body).toMatchObject({ id: queuedId, status: 'queued' });
    await expect(expiredTotal(baton.worker.url, 'workouts', 'completed')).resolves.toBeGreaterThan(expiredBefore);
  });

  it('frees the idempotency key with its job: the same key then makes a new job', async () => {
    const key = { 'Idempotency-Key': `retention-${randomUUID()}` };
    const first = await post(baton.api.url, '/v1/workouts', workoutBody({ notes: 'first' }), key);
    expect(first.status).toBe(202);
    await waitForJob(baton.api, first.body.jobId);
    expect((await post(baton.api.url, '/v1/workouts', workoutBody({ notes: 'second' }), key)).status).toBe(409);

    await whenExpired(first.body.jobId);
    const second = await post(baton.api.url, '/v1/workouts', workoutBody({ notes: 'second' }), key);
    expect(second.status).toBe(202);
    expect(second.body.jobId).not.toBe(first.body.jobId);
  });

  describe('baton jobs purge', () => {
    /** A dead job of the suite's tenant, finished `ageSeconds` ago. */
    async function deadJob(ageSeconds: number): Promise<string> {
      const id = randomUUID();
      await insertJob(db, { id, type: 'workouts', payload: workoutBody(), ageSeconds });
      await db.query(`UPDATE jobs SET status = 'dead' WHERE id = $1`, [id]);
      return id;
    }

    it('deletes the dead jobs older than --older-than (410 since), and leaves the younger ones', async () => {
      const old = await deadJob(8 * 86_400);
      const young = await deadJob(86_400);

      const purge = await runCli(['jobs', 'purge', '--status', 'dead', '--older-than', '7d'], { DATABASE_URL: db.url });
      expect(purge).toMatchObject({ code: 0, stderr: '' });
      expect(purge.stdout).toMatch(/^deleted 1 dead jobs finished more than 7d ago \(workouts: 1, invoices: 0, emails: 0\)\n$/);

      expect((await get(baton.api.url, `/v1/jobs/${old}`)).status).toBe(410);
      expect((await get(baton.api.url, `/v1/jobs/${young}`)).body).toMatchObject({ id: young, status: 'dead' });
    });

    it('takes --type and --tenant', async () => {
      // Older than the dead jobs the test before leaves, which must not count here.
      const old = await deadJob(3 * 86_400);
      const otherTenants = await runCli(['jobs', 'purge', '--status', 'dead', '--older-than', '48h', '--type', 'workout', '--tenant', 'other-tenant'], { DATABASE_URL: db.url });
      expect(otherTenants.stdout).toBe('deleted 0 dead jobs of tenant other-tenant finished more than 48h ago (workouts: 0)\n');
      expect((await get(baton.api.url, `/v1/jobs/${old}`)).status).toBe(200);

      const ours = await runCli(['jobs', 'purge', '--status', 'dead', '--older-than', '2d', '--type', 'workouts', '--tenant', 'e2e'], { DATABASE_URL: db.url });
      expect(ours.stdout).toBe('deleted 1 dead jobs of tenant e2e finished more than 2d ago (workouts: 1)\n');
      expect((await get(baton.api.url, `/v1/jobs/${old}`)).status).toBe(410);
    });

    it.each([
      [['jobs', 'purge', '--older-than', '7d'], /needs --status and --older-than/],
      [['jobs', 'purge', '--status', 'queued', '--older-than', '7d'], /--status must be one of completed, dead, cancelled/],
      [['jobs', 'purge', '--status', 'dead', '--older-than', '7 days'], /--older-than must be a duration such as 7d/],
      [['jobs', 'purge', '--status', 'dead', '--older-than', '0s'], /--older-than must be a duration/],
      [['jobs', 'purge', '--status', 'dead', '--older-than', '7d', '--type', 'parcels'], /--type must be one of/],
    ])('refuses %j with the usage (exit 2)', async (args, message) => {
      const run = await runCli(args, { DATABASE_URL: db.url });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('usage: baton');
    });
  });
});
