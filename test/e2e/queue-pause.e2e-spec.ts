/**
 * Pausing and resuming a queue, over HTTP and through the CLI: workers stop
 * taking the queue's jobs and stay ready, jobs accepted meanwhile wait in
 * the queue, a resume drains them, and the pause outlives a restart of
 * every process. In services mode an API and a worker process on RabbitMQ;
 * in embedded mode the standalone process and its in-process queue.
 */
import { Baton, batonEnv, bearer, createTestBroker, createTestDatabase, installSlowWorkouts, itWithServices, runCli, startBaton, storeApiKey, StoredKey, TestDatabase, TestVhost, waitFor, workoutBody } from '../support';
import { get, post, request, stopAll, waitForJob } from './e2e-support';

const QUEUE = 'workouts';

/** A gauge's value for `queue` on a process's /metrics, or undefined while it has none. */
async function gauge(url: string, name: string, queue: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(`queue="${queue}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('pausing and resuming a queue', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let operator: StoredKey;
  let admin: StoredKey;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_queue_pause'), createTestBroker('baton_e2e_queue_pause')]);
    [operator, admin] = await Promise.all([storeApiKey(db.url, { scopes: ['operator'] }), storeApiKey(db.url, { scopes: ['admin'] })]);
    await installSlowWorkouts(db);
    baton = await startBaton(batonEnv(db, vhost));
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  const asOperator = (method: string, path: string) => request(baton.api.url, method, path, { apiKey: operator.key });

  /** Waits until every worker applies the state: its baton_queue_paused gauge is set only once its consumer is cancelled or back. */
  async function workersSee(paused: boolean): Promise<void> {
    for (const worker of baton.workers) {
      await waitFor(`${worker.url} to see ${QUEUE} ${paused ? 'paused' : 'running'}`, async () => ((await gauge(worker.url, 'baton_queue_paused', QUEUE)) === (paused ? 1 : 0) ? true : undefined), 10_000, 100);
    }
  }

  async function submit(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await post(baton.api.url, '/v1/workouts', workoutBody({ userId: `paused-${i}` }));
      expect(answer.status).toBe(202);
      ids.push(answer.body.jobId);
    }
    return ids;
  }

  /** The jobs are in the queue, not taken: the broker counts them ready, and they are still `queued`. */
  async function expectWaiting(ids: string[]): Promise<void> {
    await waitFor(`${ids.length} workouts ready in their queue`, async () => ((await gauge(baton.api.url, 'baton_queue_messages', QUEUE)) ?? 0) >= ids.length || undefined, 20_000, 250);
    for (const id of ids) expect((await get(baton.api.url, `/v1/jobs/${id}`)).body.status).toBe('queued');
  }

  it('answers pause, resume and the list to operator keys only: admin is 403, since a queue serves every tenant', async () => {
    for (const path of [`/v1/queues/${QUEUE}/pause`, `/v1/queues/${QUEUE}/resume`]) {
      expect((await request(baton.api.url, 'POST', path, { headers: bearer(admin.key) })).status).toBe(403);
    }
    expect((await request(baton.api.url, 'GET', '/v1/queues', { headers: bearer(admin.key) })).status).toBe(403);
    expect((await request(baton.api.url, 'POST', `/v1/queues/${QUEUE}/pause`, { apiKey: null })).status).toBe(401);
  });

  it('answers 404 naming an unknown queue', async () => {
    const answer = await asOperator('POST', '/v1/queues/no-such-queue/pause');
    expect(answer.status).toBe(404);
    expect(answer.text).toContain('no-such-queue');
  });

  it('keeps jobs accepted while paused in the queue, with the worker ready, and runs them at resume', async () => {
    const paused = await asOperator('POST', `/v1/queues/${QUEUE}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({ queue: QUEUE, paused: true, pausedAt: expect.any(String) });
    // Idempotent: the first pause is kept.
    expect((await asOperator('POST', `/v1/queues/${QUEUE}/pause`)).body).toEqual(paused.body);
    expect((await asOperator('GET', '/v1/queues')).body.queues).toContainEqual(paused.body);
    await workersSee(true);

    const ids = await submit(3);
    await expectWaiting(ids);
    for (const worker of baton.workers) expect(await worker.isReady()).toBe(true);

    const resumed = await asOperator('POST', `/v1/queues/${QUEUE}/resume`);
    expect(resumed.body).toEqual({ queue: QUEUE, paused: false, pausedAt: null });
    for (const id of ids) expect((await waitForJob(baton.api, id)).status).toBe('completed');
    expect((await asOperator('POST', `/v1/queues/${QUEUE}/resume`)).status).toBe(200);
  }, 60_000);

  itWithServices(
    "a slow workout holds the embedded database's one connection: nothing else, a pause included, is answered while it runs",
    'lets a worker finish the job it holds when its queue is paused, and start no other',
    async () => {
      const slow = await post(baton.api.url, '/v1/workouts', workoutBody({ userId: 'slow-3000' }));
      expect(slow.status).toBe(202);
      await waitForJob(baton.api, slow.body.jobId, ['processing']);

      expect((await asOperator('POST', `/v1/queues/${QUEUE}/pause`)).status).toBe(200);
      await workersSee(true);
      const ids = await submit(1);
      expect((await waitForJob(baton.api, slow.body.jobId)).status).toBe('completed');
      await expectWaiting(ids);

      expect((await asOperator('POST', `/v1/queues/${QUEUE}/resume`)).status).toBe(200);
      expect((await waitForJob(baton.api, ids[0])).status).toBe('completed');
    },
    60_000,
  );

  it('stays paused across a restart of every process; the waiting jobs run at resume', async () => {
    expect((await asOperator('POST', `/v1/queues/${QUEUE}/pause`)).status).toBe(200);
    await workersSee(true);
    const ids = await submit(2);
    await expectWaiting(ids);

    await stopAll(baton.processes);
    baton = await startBaton(batonEnv(db, vhost));
    await workersSee(true);
    expect((await asOperator('GET', '/v1/queues')).body.queues).toContainEqual(expect.objectContaining({ queue: QUEUE, paused: true }));
    await expectWaiting(ids);

    expect((await asOperator('POST', `/v1/queues/${QUEUE}/resume`)).status).toBe(200);
    for (const id of ids) expect((await waitForJob(baton.api, id)).status).toBe('completed');
  }, 120_000);

  it('pauses and resumes through the CLI, which writes PostgreSQL directly', async () => {
    const env = batonEnv(db, vhost);
    const paused = await runCli(['queues', 'pause', QUEUE], env);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(`queue ${QUEUE} is paused`);
    await workersSee(true);
    const ids = await submit(1);
    await expectWaiting(ids);

    const resumed = await runCli(['queues', 'resume', QUEUE], env);
    expect(resumed.code).toBe(0);
    await workersSee(false);
    expect((await waitForJob(baton.api, ids[0])).status).toBe('completed');

    const unknown = await runCli(['queues', 'pause', 'no-such-queue'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no queue no-such-queue');
  }, 60_000);
});
