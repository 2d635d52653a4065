import {
  BatonProcess,
  jobIdOf,
  createTestDatabase,
  createTestVhost,
  describeWithServices,
  getJson,
  postJson,
  startApi,
  startWorker,
  TcpProxy,
  TestDatabase,
  TestVhost,
  waitFor,
  workoutBody,
  workoutRowsPerJob,
} from '../support';

/**
 * PostgreSQL cut off behind a TCP proxy (as a failover or a partition looks
 * to Baton): the API answers 503 with Retry-After, not 500 and not a hang,
 * readiness names the database, liveness stays up, workers hold their
 * deliveries; when the database is back everything recovers by itself.
 */
describeWithServices('an API process and a worker process started during the outage that holds RabbitMQ deliveries', 'database outage', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let proxy: TcpProxy;
  let api: BatonProcess;
  let worker: BatonProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    proxy = await TcpProxy.startFor(db.url);
    env = { DATABASE_URL: proxy.via(db.url), RABBITMQ_URL: vhost.url, RELAY_INTERVAL_MS: '200' };
    api = await startApi(env);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await proxy?.cut();
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  it('answers 503 with Retry-After while the database is away, and recovers alone', async () => {
    // Jobs accepted before the outage, waiting in the queue for a worker.
    const queued: string[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: `before-${i}` }));
      expect(response.status).toBe(202);
      queued.push(await jobIdOf(response));
    }

    await proxy.cut();
    const started = Date.now();
    const refused = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: 'during' }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(Date.now() - started).toBeLessThan(10_000);
    const read = await getJson(`${api.url}/v1/jobs/${queued[0]}`);
    expect(read.status).toBe(503);

    const ready = await getJson(`${api.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.error.postgres).toMatch(/^down/);
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);

    // A worker that starts during the outage takes deliveries and holds them.
    worker = await startWorker({ ...env, WORKER_CONCURRENCY: '4' }, { ready: false });
    await waitFor('the worker to report the database', async () => {
      const probe = await getJson(`${worker!.url}/health/ready`).catch(() => undefined);
      return probe?.status === 503 && /^down/.test(probe.body.error.postgres) ? true : undefined;
    });

    await proxy.restore();
    await api.waitUntilReady();
    await worker.waitUntilReady();
    const accepted = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: 'after' }));
    expect(accepted.status).toBe(202);
    const all = [...queued, await jobIdOf(accepted)];
    await waitFor('every job to complete', async () => ((await workoutRowsPerJob(db, all)).rows === all.length ? true : undefined), 60_000, 200);
    expect(await workoutRowsPerJob(db, all)).toEqual({ rows: all.length, distinctJobs: all.length });
    const [{ attempts }] = await db.query<{ attempts: number }>(`SELECT max(attempts)::int AS attempts FROM jobs WHERE id = ANY($1::uuid[])`, [all]);
    // Waiting out the outage spent no attempts.
    expect(attempts).toBe(1);
  }, 120_000);

  it('answers 503, not 400, when the database goes away between authentication and the insert', async () => {
    // The key is cached by now, so authentication passes without PostgreSQL; the
    // insert then fails as a database shutting down does (SQLSTATE 57P01).
    expect((await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: 'warm' }))).status).toBe(202);
    await db.query(`
      CREATE FUNCTION baton_test_refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01';
      END $$`);
    await db.query(`CREATE TRIGGER baton_test_refuse_jobs BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION baton_test_refuse_jobs()`);
    try {
      const refused = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: 'refused' }));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
    } finally {
      await db.query(`DROP TRIGGER baton_test_refuse_jobs ON jobs`);
      await db.query(`DROP FUNCTION baton_test_refuse_jobs()`);
    }
    expect((await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: 'back' }))).status).toBe(202);
  }, 60_000);
});
