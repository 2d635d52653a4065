/**
 * QueueAgeRepository on the real database: the age of each type's oldest
 * job that is due and waiting (queued; a delayed job from its due time), one
 * index probe per type however many jobs there are (its EXPLAIN), and one
 * reporting process at a time, through an advisory lock. And the
 * dashboard's JobStatsRepository.oldestWaiting, which shares its query:
 * null for a type with nothing waiting, and narrowed to a tenant.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { JOB_TYPES, JobStatus, JobType } from '@baton/contracts';
import { BATON_SCHEMA } from '@baton/jobs';
import { createDataSource, JobStatsRepository, QueueAgeRepository } from '@baton/persistence';
import { itWithServices } from '../support/mode';
import { openTestDataSource, TestDatabase } from '../support/services';
import { waitFor } from '../support/wait-for';

/** Rows of the large table the plan is read on: mostly finished jobs, as a long-running Baton's is, and many waiting ones. */
const FINISHED_ROWS = 150_000;
const QUEUED_ROWS = 30_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

describe('QueueAgeRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let queueAges: QueueAgeRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_queue_age'));
    queueAges = new QueueAgeRepository(ds);
  });

  afterAll(async () => {
    queueAges?.onApplicationShutdown();
    await close?.();
  });

  /** Jobs of `type` in `status`, created `createdAgoSec` ago and due `runAtAgoSec` ago (null: no run_at). */
  async function insertJobs(count: number, type: JobType, status: JobStatus, createdAgoSec: number, runAtAgoSec: number | null = null): Promise<void> {
    await ds.query(
      `INSERT INTO jobs (id, type, tenant, status, payload, max_attempts, created_at, run_at)
       SELECT gen_random_uuid(), $2, 'queue-age', $3, '{}'::jsonb, 5,
              now() - make_interval(secs => $4 + n % 1000), CASE WHEN $5::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $5::float8) END
       FROM generate_series(1, $1) AS n`,
      [count, type, status, createdAgoSec, runAtAgoSec],
    );
  }

  const agesByType = async (repository = queueAges) => Object.fromEntries((await repository.oldestPending(JOB_TYPES))!.map(({ type, ageSeconds }) => [type, ageSeconds]));

  it('reports 0 for a type with nothing waiting, and every type', async () => {
    expect(await agesByType()).toEqual(Object.fromEntries(JOB_TYPES.map((type) => [type, 0])));
  });

  it('counts queued jobs only, a delayed one from its due time, not its creation', async () => {
    // Not waiting for a worker: taken, finished, not yet due, or waiting out a retry delay.
    for (const status of [JobStatus.Processing, JobStatus.Completed, JobStatus.Dead, JobStatus.Cancelled, JobStatus.Scheduled, JobStatus.Failed]) {
      await insertJobs(1, JobType.Workout, status, 10_000);
    }
    await insertJobs(1, JobType.Workout, JobStatus.Queued, 120);
    // Created a day ago, due 300 s ago: it has waited 300 s.
    await insertJobs(1, JobType.Invoice, JobStatus.Queued, 86_400, 300);
    await insertJobs(1, JobType.Invoice, JobStatus.Queued, 30);
    const ages = await agesByType();
    expect(ages[JobType.Workout]).toBeGreaterThanOrEqual(120);
    expect(ages[JobType.Workout]).toBeLessThan(130);
    expect(ages[JobType.Invoice]).toBeGreaterThanOrEqual(300);
    expect(ages[JobType.Invoice]).toBeLessThan(310);
    expect(ages[JobType.Email]).toBe(0);
  });

  it("gives the dashboard the same ages, null where nothing waits, and a tenant's own", async () => {
    const stats = new JobStatsRepository(ds);
    const byType = async (tenant?: string) => Object.fromEntries((await stats.oldestWaiting(JOB_TYPES, tenant)).map(({ type, ageSeconds }) => [type, ageSeconds]));
    const everyTenant = await byType();
    expect(everyTenant[JobType.Workout]).toBeGreaterThanOrEqual(120);
    expect(everyTenant[JobType.Invoice]).toBeGreaterThanOrEqual(300);
    expect(everyTenant[JobType.Email]).toBeNull();
    expect((await byType('queue-age'))[JobType.Invoice]).toBeGreaterThanOrEqual(300);
    expect(await byType('another-tenant')).toEqual(Object.fromEntries(JOB_TYPES.map((type) => [type, null])));
  });

  it('reads one index entry per type, never the table: the plan on a large jobs table', async () => {
    await insertJobs(FINISHED_ROWS, JobType.Workout, JobStatus.Completed, 100_000);
    for (const type of JOB_TYPES) await insertJobs(QUEUED_ROWS / JOB_TYPES.length, type, JobStatus.Queued, 600);
    await ds.query('ANALYZE jobs');
    const [plan] = (await queueAges.explainOldestPending(JOB_TYPES)) as Array<{ Plan: PlanNode }>;
    const nodes = nodesOf(plan.Plan);
    const onJobs = nodes.filter((node) => node['Relation Name'] === 'jobs');
    expect(onJobs.map((node) => node['Node Type'])).toEqual([expect.stringMatching(/^Index (Only )?Scan$/)]);
    expect(onJobs[0]['Index Name']).toBe('jobs_pending_due_idx');
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(nodes.map((node) => node['Node Type'])).toContain('Limit');
    // And the answer is still right: the oldest of the many.
    expect((await agesByType())[JobType.Email]).toBeGreaterThanOrEqual(600);
  });

  itWithServices(
    { needs: 'PostgreSQL', reason: 'PGlite is a single backend: every connection shares its advisory locks, so there is no second session to keep out' },
    'lets one process at a time read them; another takes over when it stops',
    async () => {
      const second = createDataSource({ url: db.url, poolSize: 2, applicationName: 'baton_queue_age-second', schema: BATON_SCHEMA });
      await second.initialize();
      const other = new QueueAgeRepository(second);
      try {
        expect(await queueAges.oldestPending(JOB_TYPES)).toBeDefined();
        expect(await other.oldestPending(JOB_TYPES)).toBeUndefined();
        // Still held between reads: the holder keeps its session.
        expect(await queueAges.oldestPending(JOB_TYPES)).toBeDefined();
        expect(await other.oldestPending(JOB_TYPES)).toBeUndefined();
        queueAges.onApplicationShutdown();
        // The session ends as the connection closes; the lock goes with it.
        await waitFor('the other process to take the lock over', () => other.oldestPending(JOB_TYPES), 5_000);
        expect(await queueAges.oldestPending(JOB_TYPES)).toBeUndefined();
      } finally {
        other.onApplicationShutdown();
        await second.destroy();
      }
    },
  );
});
