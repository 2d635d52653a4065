import {
  BatonProcess,
  jobIdOf,
  countJobs,
  createTestDatabase,
  createTestVhost,
  describeWithServices,
  installSlowWorkouts,
  postJson,
  startApi,
  startWorker,
  TestDatabase,
  TestVhost,
  waitFor,
  workoutBody,
  workoutRowsPerJob,
} from '../support';

describeWithServices('separate worker processes stopped in the middle of a batch, their unfinished deliveries returned to RabbitMQ for another worker', 'graceful shutdown', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let env: Record<string, string>;
  const processes: BatonProcess[] = [];

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    await installSlowWorkouts(db);
    env = { DATABASE_URL: db.url, RABBITMQ_URL: vhost.url, RELAY_INTERVAL_MS: '200' };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  async function start(kind: 'api' | 'worker', extra: Record<string, string> = {}): Promise<BatonProcess> {
    const started = kind === 'api' ? await startApi({ ...env, ...extra }) : await startWorker({ ...env, ...extra });
    processes.push(started);
    return started;
  }

  async function submit(api: BatonProcess, userIds: string[]): Promise<string[]> {
    return Promise.all(
      userIds.map(async (userId) => {
        const response = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId }));
        expect(response.status).toBe(202);
        return await jobIdOf(response);
      }),
    );
  }

  it('a worker stopped in the middle of a batch finishes what it runs; another worker does the rest; each job once', async () => {
    const api = await start('api');
    const first = await start('worker', { WORKER_CONCURRENCY: '4', SHUTDOWN_TIMEOUT_MS: '20000' });
    const jobIds = await submit(api, Array.from({ length: 24 }, (_, i) => `slow-250-batch-${i}`));
    await waitFor('the first jobs to complete', async () => ((await countJobs(db, 'completed')) >= 4 ? true : undefined));
    const second = await start('worker', { WORKER_CONCURRENCY: '4' });

    const exit = await first.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    await waitFor('every job to complete', async () => ((await workoutRowsPerJob(db, jobIds)).rows === jobIds.length ? true : undefined), 60_000);
    expect(await workoutRowsPerJob(db, jobIds)).toEqual({ rows: jobIds.length, distinctJobs: jobIds.length });
    const [{ completed }] = await db.query<{ completed: number }>(
      `SELECT count(*)::int AS completed FROM jobs WHERE id = ANY($1::uuid[]) AND status = 'completed'`,
      [jobIds],
    );
    expect(completed).toBe(jobIds.length);
    expect(second.running).toBe(true);
    await second.stop();
  }, 120_000);

  it('a job that cannot finish within SHUTDOWN_TIMEOUT_MS goes back to the queue, half-applied never', async () => {
    const api = await start('api');
    const impatient = await start('worker', { WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_MS: '300' });
    const [jobId] = await submit(api, ['slow-4000-long']);
    await waitFor('the job to start', async () => {
      const [job] = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId]);
      return job.status === 'processing' ? true : undefined;
    });

    expect(await impatient.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // Its transaction was cut short: no workout, the job not completed.
    expect(await workoutRowsPerJob(db, [jobId])).toEqual({ rows: 0, distinctJobs: 0 });

    await start('worker', { WORKER_CONCURRENCY: '1' });
    await waitFor('the returned job to complete elsewhere', async () => ((await workoutRowsPerJob(db, [jobId])).rows === 1 ? true : undefined), 30_000);
    const [job] = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1`, [jobId]);
    expect(job.status).toBe('completed');
  }, 90_000);

  it('an API stopped under load answers what it accepted; every 202 is a job that completes', async () => {
    const api = await start('api', { SHUTDOWN_DELAY_MS: '1500' });
    await start('worker', { WORKER_CONCURRENCY: '16' });
    const accepted: string[] = [];
    const refusedStatuses: number[] = [];
    let sending = true;
    const clients = Array.from({ length: 8 }, async (_, client) => {
      for (let i = 0; sending; i++) {
        try {
          const response = await postJson(`${api.url}/v1/workouts`, workoutBody({ userId: `load-${client}-${i}` }));
          if (response.status === 202) accepted.push(await jobIdOf(response));
          else refusedStatuses.push(response.status);
        } catch {
          // Connection refused once the server stops: the request was never accepted.
          return;
        }
      }
    });
    await waitFor('some load', () => (accepted.length >= 50 ? true : undefined));
    api.child.kill('SIGTERM');
    // Not ready as soon as the signal lands, while still serving during SHUTDOWN_DELAY_MS.
    const readyDuringDrain = await waitFor(
      'readiness to fail during the drain',
      async () => ((await fetch(`${api.url}/health/ready`)).status === 503 ? 503 : undefined),
      1_000,
      20,
    );
    const exit = await api.exited;
    sending = false;
    await Promise.all(clients);

    expect(readyDuringDrain).toBe(503);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(refusedStatuses.filter((status) => status >= 500)).toEqual([]);
    await waitFor(
      `${accepted.length} accepted jobs to complete`,
      async () => ((await workoutRowsPerJob(db, accepted)).rows === accepted.length ? true : undefined),
      60_000,
      250,
    );
    expect(await workoutRowsPerJob(db, accepted)).toEqual({ rows: accepted.length, distinctJobs: accepted.length });
  }, 120_000);
});
