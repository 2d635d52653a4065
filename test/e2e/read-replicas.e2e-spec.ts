import {
  Baton,
  batonEnv,
  createTestBroker,
  describeWithProgram,
  invoiceBody,
  metricValue,
  migrateTestDatabase,
  postgresServerInstalled,
  PostgresStandby,
  startBaton,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';
import { get, JobView, post, request, waitForJob } from './e2e-support';

const DATABASE = 'baton';
/** Short, so that the test does not wait long for jobs to be old enough; the rule is the same at any bound. */
const MIN_AGE_MS = 500;

// What each routed read's statements contain (TypeORM's aliases, and the PDF's join), to count them per server in pg_stat_statements.
const JOB_BY_ID = 'FROM "jobs" "JobEntity"';
const WORKOUT_BY_ID = 'FROM "workouts" "WorkoutEntity"';
const INVOICE_BY_ID = 'FROM "invoices" "InvoiceEntity"';
const INVOICE_PDF = 'FROM invoice_pdfs pdf';
const ROUTED = [JOB_BY_ID, WORKOUT_BY_ID, INVOICE_BY_ID, INVOICE_PDF];

/**
 * DATABASE_READ_URL against a real streaming replica: a primary and a hot
 * standby of the test's own (test/support/postgres-standby.ts). The hot
 * reads go to the standby; a job that is young, or that the standby lacks,
 * comes from the primary, so lag (replay paused) never shows a 404 or a
 * state older than the bound; a standby that goes away costs nothing but
 * its reads, which the primary answers.
 */
describeWithProgram(postgresServerInstalled(), 'PostgreSQL', "Debian's PostgreSQL 15 server package (initdb, pg_ctl, pg_basebackup) starts the primary and its standby", 'read replicas', () => {
  let cluster: PostgresStandby;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let api: string;
  let replica: string;

  const calls = async (on: 'primary' | 'standby', patterns: string[]): Promise<number[]> => Promise.all(patterns.map((pattern) => cluster.calls(on, DATABASE, pattern)));
  const replicaUp = () => metricValue(api, `baton_database_replica_up{replica="${replica}"}`);
  const reads = (target: string, reason: string) => metricValue(api, `baton_database_reads_total{target="${target}",reason="${reason}"}`);

  /** A job that ran to completed and is older than the bound, with the standby holding its last state. */
  async function settledJob(path: string, body: Record<string, unknown>): Promise<JobView> {
    const accepted = await post(api, path, body);
    expect(accepted.status).toBe(202);
    const job = await waitForJob(baton.api, accepted.body.jobId);
    expect(job.status).toBe('completed');
    await cluster.caughtUp();
    await waitFor(`job ${job.id} to be older than ${MIN_AGE_MS} ms`, () => (Date.now() - Date.parse(job.createdAt) > MIN_AGE_MS ? true : undefined), 5_000);
    return job;
  }

  beforeAll(async () => {
    cluster = await PostgresStandby.create();
    await cluster.createDatabase(DATABASE);
    await migrateTestDatabase(cluster.primaryUrl(DATABASE));
    vhost = await createTestBroker('baton_replicas');
    replica = `127.0.0.1:${cluster.standbyPort}`;
    baton = await startBaton({
      ...batonEnv({ url: cluster.primaryUrl(DATABASE) }, vhost),
      DATABASE_READ_URL: cluster.standbyUrl(DATABASE),
      DATABASE_READ_MIN_AGE_MS: String(MIN_AGE_MS),
      RELAY_INTERVAL_MS: '200',
    });
    api = baton.api.url;
    await waitFor('the API to find the standby up', async () => ((await replicaUp()) === 1 ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    await Promise.all((baton?.processes ?? []).map((child) => child.stop()));
    await Promise.all([cluster?.dispose(), vhost?.drop()]);
  }, 60_000);

  it('answers GET /v1/jobs/:id, workouts, invoices and their PDFs from the standby once they are settled there', async () => {
    const workoutJob = await settledJob('/v1/workouts', workoutBody());
    const invoiceJob = await settledJob('/v1/invoices', invoiceBody());
    const paths = [
      [`/v1/jobs/${workoutJob.id}`, JOB_BY_ID],
      [`/v1/workouts/${workoutJob.result!.workoutId}`, WORKOUT_BY_ID],
      [`/v1/invoices/${invoiceJob.result!.invoiceId}`, INVOICE_BY_ID],
      [`/v1/invoices/${invoiceJob.result!.invoiceId}/pdf`, INVOICE_PDF],
    ] as const;
    const onPrimary = await calls('primary', ROUTED);
    const onStandby = await calls('standby', ROUTED);
    const freshBefore = await reads('replica', 'fresh');

    for (let round = 0; round < 10; round++) {
      for (const [path] of paths) expect((await get(api, path)).status).toBe(200);
    }
    const job = await get<JobView>(api, `/v1/jobs/${workoutJob.id}`);
    expect(job.body).toEqual(workoutJob);

    // The API's own count, and each server's: every read ran on the standby, none on the primary.
    expect((await reads('replica', 'fresh')) - freshBefore).toBe(41);
    expect(await calls('primary', ROUTED)).toEqual(onPrimary);
    await waitFor('the standby to count every read', async () => {
      const now = await calls('standby', ROUTED);
      return now.every((count, index) => count - onStandby[index] >= (index === 0 ? 11 : 10)) ? now : undefined;
    });
  }, 60_000);

  it('never answers 404 for a job read right after its 202, nor an older state than the bound allows, while replay is paused', async () => {
    const delayed = await post(api, '/v1/workouts', { ...workoutBody({ userId: 'later' }), options: { delaySec: 3600 } });
    expect(delayed.status).toBe(202);
    const scheduled = await waitForJob(baton.api, delayed.body.jobId, ['scheduled']);
    await cluster.caughtUp();
    await waitFor(`job ${scheduled.id} to be older than the bound`, () => (Date.now() - Date.parse(scheduled.createdAt) > MIN_AGE_MS ? true : undefined), 5_000);
    await cluster.pauseReplay();
    try {
      const tooYoungBefore = await reads('primary', 'too-young');
      for (let i = 0; i < 20; i++) {
        const accepted = await post(api, '/v1/workouts', workoutBody({ userId: `polled-${i}` }));
        expect(accepted.status).toBe(202);
        const read = await get<JobView>(api, `/v1/jobs/${accepted.body.jobId}`);
        expect([read.status, read.body.id]).toEqual([200, accepted.body.jobId]);
      }
      // Each of those was either missing on the standby or too young for it.
      expect((await reads('primary', 'too-young')) + (await reads('primary', 'not-found')) + (await reads('primary', 'no-replica')) - tooYoungBefore).toBeGreaterThanOrEqual(20);

      // The standby has the delayed job, but not its cancellation: past the bound, only the primary answers.
      const cancelled = await request<JobView>(api, 'POST', `/v1/jobs/${scheduled.id}/cancel`);
      expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
      const cancelledAt = Date.now();
      const seen: Array<{ sentAfterMs: number; status: string }> = [];
      while (Date.now() - cancelledAt < 3 * MIN_AGE_MS) {
        const sentAfterMs = Date.now() - cancelledAt;
        const read = await get<JobView>(api, `/v1/jobs/${scheduled.id}`);
        expect(read.status).toBe(200);
        seen.push({ sentAfterMs, status: read.body.status });
      }
      expect(seen.filter((read) => read.sentAfterMs >= MIN_AGE_MS && read.status !== 'cancelled')).toEqual([]);
      expect(await reads('primary', 'no-replica')).toBeGreaterThan(0);
      expect(await replicaUp()).toBe(1);
    } finally {
      await cluster.resumeReplay();
    }

    // Caught up again, the standby answers, with the cancellation.
    await cluster.caughtUp();
    const onStandby = await cluster.calls('standby', DATABASE, JOB_BY_ID);
    const freshBefore = await reads('replica', 'fresh');
    await waitFor('a read answered by the standby again', async () => {
      const read = await get<JobView>(api, `/v1/jobs/${scheduled.id}`);
      expect(read.body.status).toBe('cancelled');
      return (await reads('replica', 'fresh')) > freshBefore ? true : undefined;
    });
    await waitFor('the standby to count it', async () => ((await cluster.calls('standby', DATABASE, JOB_BY_ID)) > onStandby ? true : undefined));
  }, 60_000);

  it('answers from the primary, without an error or an unready API, while the standby is away, and goes back to it', async () => {
    const job = await settledJob('/v1/workouts', workoutBody({ userId: 'failover' }));
    await cluster.stopStandby();
    try {
      for (let i = 0; i < 30; i++) {
        const read = await get<JobView>(api, `/v1/jobs/${job.id}`);
        expect([read.status, read.body.status]).toEqual([200, 'completed']);
        const workout = await get(api, `/v1/workouts/${job.result!.workoutId}`);
        expect(workout.status).toBe(200);
      }
      await waitFor('the API to find the standby down', async () => ((await replicaUp()) === 0 ? true : undefined));
      expect((await get(api, '/health/ready')).status).toBe(200);
      const accepted = await post(api, '/v1/workouts', workoutBody({ userId: 'during-outage' }));
      expect(accepted.status).toBe(202);
      expect((await waitForJob(baton.api, accepted.body.jobId)).status).toBe('completed');
    } finally {
      if (!cluster.standbyUp) await cluster.startStandby();
    }

    await waitFor('the API to find the standby up again', async () => ((await replicaUp()) === 1 ? true : undefined), 45_000);
    const freshBefore = await reads('replica', 'fresh');
    await waitFor('reads answered by the standby again', async () => {
      expect((await get(api, `/v1/jobs/${job.id}`)).status).toBe(200);
      return (await reads('replica', 'fresh')) > freshBefore ? true : undefined;
    });
    expect(await cluster.calls('standby', DATABASE, JOB_BY_ID)).toBeGreaterThan(0);
  }, 90_000);

  it('gives up on a standby that hangs without closing its connections, and answers from the primary', async () => {
    const job = await settledJob('/v1/workouts', workoutBody({ userId: 'hung' }));
    await waitFor('reads answered by the standby', async () => {
      const freshBefore = await reads('replica', 'fresh');
      await get(api, `/v1/jobs/${job.id}`);
      return (await reads('replica', 'fresh')) > freshBefore ? true : undefined;
    });
    const errorsBefore = await reads('primary', 'replica-error');
    cluster.freezeStandby();
    try {
      const timings: number[] = [];
      for (let i = 0; i < 10; i++) {
        const read = await get<JobView>(api, `/v1/jobs/${job.id}`);
        expect([read.status, read.body.status]).toEqual([200, 'completed']);
        timings.push(read.ms);
      }
      // At most the reads already on their way there wait out the client-side timeout (2 s); the rest skip the standby.
      expect(timings.filter((ms) => ms > 1500).length).toBeLessThanOrEqual(2);
      expect(Math.max(...timings)).toBeLessThan(5_000);
      await waitFor('the API to find the standby down', async () => ((await replicaUp()) === 0 ? true : undefined));
      expect(await reads('primary', 'replica-error')).toBeGreaterThanOrEqual(errorsBefore);
      expect((await get(api, '/health/ready')).status).toBe(200);
    } finally {
      cluster.thawStandby();
    }
    await waitFor('the API to find the standby up again', async () => ((await replicaUp()) === 1 ? true : undefined), 45_000);
  }, 90_000);
});
