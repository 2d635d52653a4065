import {
  batonEnv,
  BatonProcess,
  jobIdOf,
  createTestBroker,
  createTestDatabase,
  getJson,
  postJson,
  startApi,
  startBaton,
  TestDatabase,
  testMode,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';

const DB_PASSWORD = 'Sup3r-s3cret-db-pw';
/** The `service` of every log line: baton-api and baton-worker; `baton` for the standalone process, which is both. */
const SERVICE = testMode() === 'services' ? /^baton-/ : /^baton$/;

/**
 * Structured logs that follow a request into its job, metrics on both processes, no secret anywhere.
 * (In embedded mode API and worker are the one standalone process: its log and metrics hold both parts.)
 */
describe('observability', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let api: BatonProcess;
  let worker: BatonProcess;
  let processes: BatonProcess[] = [];

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestBroker()]);
    // Trust authentication ignores the password, so it can be a marker to look for in the logs.
    const url = new URL(db.url);
    url.password = DB_PASSWORD;
    ({ api, worker, processes } = await startBaton({ ...batonEnv({ url: url.toString() }, vhost), LOG_LEVEL: 'debug' }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  async function completeJob(correlationId: string): Promise<string> {
    const response = await postJson(`${api.url}/v1/workouts`, workoutBody(), { 'X-Request-Id': correlationId });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-request-id')).toBe(correlationId);
    const jobId = await jobIdOf(response);
    await waitFor('the job to complete', async () => ((await getJson(`${api.url}/v1/jobs/${jobId}`)).body.status === 'completed' ? true : undefined));
    return jobId;
  }

  function logLines(process: BatonProcess): Array<Record<string, unknown>> {
    return process.stdout
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          throw new Error(`log line is not JSON: ${line}`);
        }
      });
  }

  it('writes one JSON object per line, and the worker lines of a job carry the request id and the job id', async () => {
    const jobId = await completeJob('corr-observability-1');
    const apiLines = logLines(api);
    const workerLines = logLines(worker);
    for (const line of [...apiLines, ...workerLines]) {
      expect(line).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String), service: expect.stringMatching(SERVICE) }));
    }
    const requestLine = apiLines.find((line) => line.msg === 'request' && line.correlationId === 'corr-observability-1');
    expect(requestLine).toEqual(expect.objectContaining({ method: 'POST', route: '/v1/workouts', statusCode: 202, jobId }));
    const jobLines = workerLines.filter((line) => line.jobId === jobId);
    expect(jobLines.length).toBeGreaterThan(0);
    for (const line of jobLines) expect(line.correlationId).toBe('corr-observability-1');
  });

  it('exposes Prometheus metrics on the API port and on the worker health port', async () => {
    await completeJob('corr-observability-2');
    const apiMetrics = await (await fetch(`${api.url}/metrics`)).text();
    const workerMetrics = await (await fetch(`${worker.url}/metrics`)).text();

    expect(apiMetrics).toMatch(/^baton_http_request_duration_seconds_count\{method="POST",route="\/v1\/workouts",status_code="202"\} [1-9]/m);
    expect(apiMetrics).toMatch(/^baton_jobs_accepted_total\{type="workouts"\} [1-9]/m);
    expect(apiMetrics).toMatch(/^baton_jobs_published_total\{type="workouts"\} [1-9]/m);
    expect(apiMetrics).toMatch(/^baton_relay_backlog_jobs \d+/m);
    expect(apiMetrics).toMatch(/^baton_queue_messages\{queue="workouts.dead"\} \d+/m);
    expect(apiMetrics).toMatch(/^nodejs_eventloop_lag_seconds /m);

    expect(workerMetrics).toMatch(/^baton_jobs_completed_total\{type="workouts"\} [1-9]/m);
    expect(workerMetrics).toMatch(/^baton_job_processing_duration_seconds_count\{type="workouts",outcome="completed"\} [1-9]/m);
    expect(workerMetrics).toMatch(/^baton_job_end_to_end_seconds_count\{type="workouts"\} [1-9]/m);
    expect(workerMetrics).toMatch(/^baton_jobs_in_flight\{type="workouts"\} 0/m);
    expect(workerMetrics).toMatch(/^baton_queue_consumers\{queue="workouts"\} [1-9]/m);
    expect(workerMetrics).toMatch(/^process_resident_memory_bytes /m);
  });

  it('never writes a connection password, even when connections fail', async () => {
    // A process that cannot reach its database logs the failure; the password must not be in it.
    // (An API process: the standalone one does not start without its database. In embedded mode
    // there is no broker either, which an API keeps retrying in the background.)
    const url = new URL(db.url);
    url.password = DB_PASSWORD;
    url.port = '1';
    const rabbitmqUrl = vhost?.url ?? 'amqp://guest:guest@127.0.0.1:1';
    const lonely = await startApi({ DATABASE_URL: url.toString(), RABBITMQ_URL: rabbitmqUrl, LOG_LEVEL: 'trace' }, { ready: false });
    await waitFor('the failing readiness probe', async () => ((await getJson(`${lonely.url}/health/ready`).catch(() => undefined))?.status === 503 ? true : undefined));
    const failed = await postJson(`${lonely.url}/v1/workouts`, workoutBody());
    expect(failed.status).toBe(503);
    expect(await failed.text()).not.toContain(DB_PASSWORD);
    await lonely.stop();
    for (const process of [api, worker, lonely]) expect(process.logs).not.toContain(DB_PASSWORD);
  });
});
