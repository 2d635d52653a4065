import {
  BatonProcess,
  getJson,
  jobIdOf,
  createTestDatabase,
  describeWithServices,
  postJson,
  RabbitNode,
  startApi,
  startWorker,
  TestDatabase,
  waitFor,
  workoutBody,
} from '../support';

/**
 * RabbitMQ stopped and started again in the middle of a load, on a node of
 * the test's own: every accepted job completes exactly once; the worker
 * reports not ready while the broker is away, then ready again; the API stays
 * ready (it keeps accepting) and reports the broker down in its body.
 */
describeWithServices('stops and starts a RabbitMQ node of its own in the middle of a load', 'broker restart', () => {
  let node: RabbitNode;
  let db: TestDatabase;
  let api: BatonProcess;
  let worker: BatonProcess;
  const readiness = { api: [] as boolean[], apiBroker: [] as string[], worker: [] as boolean[] };
  let watching = true;
  let watcher: Promise<void>;

  beforeAll(async () => {
    [node, db] = await Promise.all([RabbitNode.create(), createTestDatabase()]);
    const env = { DATABASE_URL: db.url, RABBITMQ_URL: node.url, RELAY_INTERVAL_MS: '200', WORKER_CONCURRENCY: '8' };
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    watcher = (async () => {
      while (watching) {
        const [apiProbe, workerReady] = await Promise.all([getJson(`${api.url}/health/ready`).catch(() => undefined), worker.isReady()]);
        readiness.api.push(apiProbe?.status === 200);
        readiness.apiBroker.push(String(apiProbe?.body?.rabbitmq ?? apiProbe?.body?.error?.rabbitmq));
        readiness.worker.push(workerReady);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }, 120_000);

  afterAll(async () => {
    watching = false;
    await watcher;
    await Promise.all([api?.stop(), worker?.stop()]);
    await Promise.all([node?.dispose(), db?.drop()]);
  }, 60_000);

  async function accept(count: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: `${prefix}-${i}` }));
      expect(response.status).toBe(202);
      ids.push(await jobIdOf(response));
    }
    return ids;
  }

  it('completes every accepted job exactly once across a broker restart; the worker readiness follows the broker', async () => {
    const before = await accept(60, 'before');
    await node.stop();
    await waitFor('the worker to report not ready and the API the broker down', () =>
      readiness.worker.at(-1) === false && readiness.apiBroker.at(-1)?.startsWith('down') ? true : undefined,
    );
    // The API keeps accepting while the broker is away: the jobs are safe in PostgreSQL.
    const during = await accept(40, 'during');
    await node.start();
    await waitFor('the worker to be ready and the API to see the broker again', () => (readiness.apiBroker.at(-1) === 'up' && readiness.worker.at(-1) ? true : undefined), 60_000);
    const after = await accept(60, 'after');

    const accepted = [...before, ...during, ...after];
    await waitFor(
      `${accepted.length} jobs to complete`,
      async () => {
        const [{ done }] = await db.query<{ done: number }>(`SELECT count(*)::int AS done FROM jobs WHERE status = 'completed'`);
        return done === accepted.length ? done : undefined;
      },
      90_000,
      250,
    );
    const [{ workouts, distinctJobs }] = await db.query<{ workouts: number; distinctJobs: number }>(
      `SELECT count(*)::int AS workouts, count(DISTINCT job_id)::int AS "distinctJobs" FROM workouts WHERE job_id = ANY($1::uuid[])`,
      [accepted],
    );
    expect(workouts).toBe(accepted.length);
    expect(distinctJobs).toBe(accepted.length);
    expect(readiness.api).not.toContain(false);
    expect(readiness.apiBroker.some((state) => state.startsWith('down'))).toBe(true);
    expect(readiness.worker).toContain(false);
    expect(readiness.api.at(-1)).toBe(true);
    expect(readiness.worker.at(-1)).toBe(true);
  }, 180_000);
});
