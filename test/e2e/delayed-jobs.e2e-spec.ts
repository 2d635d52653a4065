/**
 * Delayed jobs through the built processes: a submission's `options.runAt`
 * or `options.delaySec` keeps the job `scheduled` until its time, then the
 * relay publishes it and a worker runs it, once; across a RabbitMQ restart
 * (services) or a restart of the whole embedded process, and with three API
 * replicas sweeping the same database. How late a job starts is measured by
 * the benchmark (`npm run bench -- --only=7`), not asserted here.
 */
import { randomUUID } from 'node:crypto';
import {
  batonEnv,
  BatonProcess,
  createTestBroker,
  createTestDatabase,
  describeWithServices,
  metricValue,
  RabbitNode,
  startApi,
  startBaton,
  startWorker,
  TestDatabase,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';
import { countRows, get, post, request, stopAll, waitForJob } from './e2e-support';

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

/** The job's due time, and when its worker stored the workout: never before it was due. */
async function dueAndDone(db: TestDatabase, jobId: string): Promise<{ runAt: Date; savedAt: Date; workouts: number }> {
  const [row] = await db.query<{ run_at: Date; saved_at: Date; workouts: number }>(
    `SELECT j.run_at, min(w.created_at) AS saved_at, count(w.id)::int AS workouts FROM jobs j LEFT JOIN workouts w ON w.job_id = j.id WHERE j.id = $1 GROUP BY j.run_at`,
    [jobId],
  );
  return { runAt: row.run_at, savedAt: row.saved_at, workouts: row.workouts };
}

describe('delayed jobs', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_delayed'), createTestBroker('baton_e2e_delayed')]);
    ({ api, processes } = await startBaton({ ...batonEnv(db, vhost), RELAY_INTERVAL_MS: '200', JOB_MAX_DELAY_SEC: '3600' }));
  });

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it('keeps a job with runAt ahead scheduled, lists it, and runs it once at its time, never before', async () => {
    const runAt = inSeconds(3);
    const accepted = await post(api.url, '/v1/workouts', { ...workoutBody(), options: { runAt } });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'scheduled', statusUrl: `/v1/jobs/${accepted.body.jobId}` });
    const jobId: string = accepted.body.jobId;

    const waiting = await get(api.url, `/v1/jobs/${jobId}`);
    expect(waiting.body).toMatchObject({ status: 'scheduled', runAt: new Date(runAt).toISOString(), attempts: 0, scheduleId: null });
    const listed = await get(api.url, '/v1/jobs?status=scheduled&limit=100');
    expect(listed.body.jobs.map((job: { id: string }) => job.id)).toContain(jobId);

    const done = await waitForJob(api, jobId, ['completed', 'dead'], 20_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 1 });
    const { runAt: due, savedAt, workouts } = await dueAndDone(db, jobId);
    expect(workouts).toBe(1);
    expect(savedAt.getTime()).toBeGreaterThanOrEqual(due.getTime());
  });

  it('takes delaySec as seconds from the accept, and keeps options out of the payload the worker gets', async () => {
    const before = Date.now();
    const accepted = await post(api.url, '/v1/workouts', { ...workoutBody(), options: { delaySec: 2 } });
    const after = Date.now();
    expect(accepted.body.status).toBe('scheduled');
    const [row] = await db.query<{ run_at: Date; options: object; payload: Record<string, unknown> }>('SELECT run_at, options, payload FROM jobs WHERE id = $1', [accepted.body.jobId]);
    expect(row.run_at.getTime()).toBeGreaterThanOrEqual(before + 2000 - 1);
    expect(row.run_at.getTime()).toBeLessThanOrEqual(after + 2000 + 1);
    expect(row.options).toEqual({ delaySec: 2 });
    expect(row.payload).not.toHaveProperty('options');
    await expect(waitForJob(api, accepted.body.jobId)).resolves.toMatchObject({ status: 'completed' });
  });

  it('queues a job whose runAt has passed, or whose delaySec is 0, at once', async () => {
    for (const options of [{ runAt: inSeconds(-3600) }, { delaySec: 0 }, null]) {
      const accepted = await post(api.url, '/v1/workouts', { ...workoutBody(), options });
      expect(accepted.body.status).toBe('queued');
      await expect(waitForJob(api, accepted.body.jobId)).resolves.toMatchObject({ status: 'completed' });
    }
  });

  it.each([
    ['both runAt and delaySec', { runAt: inSeconds(60), delaySec: 60 }, 'options'],
    ['a runAt without an offset', { runAt: '2030-01-01T09:00:00' }, 'options.runAt'],
    ['a runAt that is a date alone', { runAt: '2030-01-01' }, 'options.runAt'],
    ['a runAt that is a number', { runAt: 1893484800 }, 'options.runAt'],
    ['a runAt further ahead than JOB_MAX_DELAY_SEC', { runAt: inSeconds(3601 + 60) }, 'options.runAt'],
    ['a delaySec above JOB_MAX_DELAY_SEC', { delaySec: 3601 }, 'options.delaySec'],
    ['a negative delaySec', { delaySec: -1 }, 'options.delaySec'],
    ['a fractional delaySec', { delaySec: 1.5 }, 'options.delaySec'],
    ['an unknown option', { priority: 'high' }, 'options.priority'],
    ['options that are not an object', 'soon', 'options'],
    ['an idempotencyKey of control characters', { idempotencyKey: 'a\u0007b' }, 'options.idempotencyKey'],
  ])('refuses %s with a 400 naming %s, and stores nothing', async (_, options, field) => {
    const userId = `refused-${randomUUID()}`;
    const answer = await post(api.url, '/v1/workouts', { ...workoutBody({ userId }), options });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((detail: { field: string }) => detail.field)).toContain(field);
    expect(await countRows(db, `SELECT count(*) FROM jobs WHERE payload->>'userId' = $1`, [userId])).toBe(0);
  });

  it('refuses an options.idempotencyKey that differs from the Idempotency-Key header', async () => {
    const answer = await post(api.url, '/v1/workouts', { ...workoutBody(), options: { idempotencyKey: 'one' } }, { 'Idempotency-Key': 'two' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ field: 'options.idempotencyKey', messages: [expect.stringContaining('Idempotency-Key')] }]);
  });

  it('binds an idempotency key to the options too: the same delayed request replays, another runAt is a conflict', async () => {
    const key = `delayed-${randomUUID()}`;
    const body = { ...workoutBody(), options: { runAt: inSeconds(600), idempotencyKey: key } };
    const first = await post(api.url, '/v1/workouts', body);
    expect(first.status).toBe(202);
    // The key as a header is the same key.
    const again = await post(api.url, '/v1/workouts', { ...body, options: { runAt: body.options.runAt } }, { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ jobId: first.body.jobId, status: 'scheduled', statusUrl: first.body.statusUrl });
    const moved = await post(api.url, '/v1/workouts', { ...body, options: { runAt: inSeconds(900), idempotencyKey: key } });
    expect(moved.status).toBe(409);
    expect(await countRows(db, 'SELECT count(*) FROM jobs WHERE idempotency_key = $1', [key])).toBe(1);
  });

  it('cancels a scheduled job, which then never runs', async () => {
    const cancelled = await post(api.url, '/v1/workouts', { ...workoutBody(), options: { delaySec: 1 } });
    const answer = await request(api.url, 'POST', `/v1/jobs/${cancelled.body.jobId}/cancel`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'cancelled', attempts: 0 });
    // A job due after it has run: the cancelled one's time has passed, and sweeps with it.
    const later = await post(api.url, '/v1/workouts', { ...workoutBody(), options: { delaySec: 2 } });
    await expect(waitForJob(api, later.body.jobId)).resolves.toMatchObject({ status: 'completed' });
    await expect(get(api.url, `/v1/jobs/${cancelled.body.jobId}`)).resolves.toMatchObject({ body: { status: 'cancelled', attempts: 0 } });
    expect(await countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = $1', [cancelled.body.jobId])).toBe(0);
  });
});

/** Accepts a workout due in `seconds`; returns its id. */
async function acceptDelayed(api: BatonProcess, seconds: number): Promise<string> {
  const accepted = await post(api.url, '/v1/workouts', { ...workoutBody(), options: { delaySec: seconds } });
  expect(accepted).toMatchObject({ status: 202, body: { status: 'scheduled' } });
  return accepted.body.jobId;
}

describeWithServices('stops and starts a RabbitMQ node of its own between the accept and the due time', 'a delayed job across a RabbitMQ restart', () => {
  let node: RabbitNode;
  let db: TestDatabase;
  let processes: BatonProcess[] = [];

  beforeAll(async () => {
    [node, db] = await Promise.all([RabbitNode.create(), createTestDatabase('baton_e2e_delayed_restart')]);
  }, 120_000);

  afterAll(async () => {
    await stopAll(processes);
    await Promise.all([node?.dispose(), db?.drop()]);
  }, 60_000);

  it('keeps the job scheduled while the broker is away and runs it once after it is back', async () => {
    const env = { DATABASE_URL: db.url, RABBITMQ_URL: node.url, RELAY_INTERVAL_MS: '200' };
    const [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    processes = [api, worker];
    const jobId = await acceptDelayed(api, 6);
    await node.stop();
    await node.start();
    await waitFor('the worker to be ready again', async () => ((await worker.isReady()) ? true : undefined), 60_000);

    await expect(waitForJob(api, jobId, ['completed', 'dead'], 60_000)).resolves.toMatchObject({ status: 'completed', attempts: 1 });
    const { runAt, savedAt, workouts } = await dueAndDone(db, jobId);
    expect(workouts).toBe(1);
    expect(savedAt.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    // The worker stays for the next test; this API would sweep beside its three.
    await api.stop();
  });

  it('publishes each due job once with three API replicas sweeping the same database', async () => {
    const env = { DATABASE_URL: db.url, RABBITMQ_URL: node.url, RELAY_INTERVAL_MS: '100' };
    const apis = await Promise.all([startApi(env), startApi(env), startApi(env)]);
    processes.push(...apis);
    const published = () => Promise.all(apis.map((replica) => metricValue(replica.url, 'baton_jobs_published_total{type="workouts"}')));
    const before = (await published()).reduce((sum, value) => sum + value, 0);
    const ids: string[] = [];
    for (let index = 0; index < 30; index++) ids.push(await acceptDelayed(apis[index % 3], 3));

    for (const jobId of ids) await expect(waitForJob(apis[0], jobId, ['completed', 'dead'], 30_000)).resolves.toMatchObject({ status: 'completed', attempts: 1 });
    const after = (await published()).reduce((sum, value) => sum + value, 0);
    expect(after - before).toBe(ids.length);
    expect(await countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = ANY($1::uuid[])', [ids])).toBe(ids.length);
  }, 120_000);
});

describe('a delayed job across a restart of every Baton process', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_delayed_restart_all'), createTestBroker('baton_e2e_delayed_restart_all')]);
  });

  afterAll(async () => {
    await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  // In embedded mode the in-process queue goes with the process: the job lives on in the database alone.
  it('survives the stop of the processes that accepted it, and runs once in the next ones', async () => {
    const env = { ...batonEnv(db, vhost), RELAY_INTERVAL_MS: '200' };
    const first = await startBaton(env);
    processes = first.processes;
    const jobId = await acceptDelayed(first.api, 3);
    for (const exit of await stopAll(first.processes)) expect(exit).toMatchObject({ code: 0, signal: null });
    expect(await countRows(db, `SELECT count(*) FROM jobs WHERE id = $1 AND status = 'scheduled'`, [jobId])).toBe(1);

    const second = await startBaton(env);
    processes = second.processes;
    await expect(waitForJob(second.api, jobId)).resolves.toMatchObject({ status: 'completed', attempts: 1 });
    const { runAt, savedAt, workouts } = await dueAndDone(db, jobId);
    expect(workouts).toBe(1);
    expect(savedAt.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
  });
});
