/**
 * JobRetentionRepository on the real database: only finished jobs older than
 * the retention go, per status and type, in bounded batches, each leaving a
 * tombstone; the results (workouts, invoices, emails) stay; an idempotency
 * key is free again; two sweeps at once never delete or count a row twice.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { EmailMessageRepository, InvoiceRepository, NewInvoice, WorkoutRepository } from '@baton/jobs';
import { ExpiryCriteria, JobExecutionRepository, JobIntakeRepository, JobRetentionRepository, NewJob } from '@baton/persistence';
import { invoiceBody } from '../support/fixtures';
import { jobFixtures, newWorkout } from '../support/job-fixtures';
import { itWithServices } from '../support/mode';
import { openTestDataSource, TestDatabase } from '../support/services';

const HOUR = 3_600;

describe('JobRetentionRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let retention: JobRetentionRepository;
  let execution: JobExecutionRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_job_retention'));
    retention = new JobRetentionRepository(ds);
    execution = new JobExecutionRepository(ds);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob, row } = jobFixtures(() => ds);

  /** A tenant of the test's own, so that no other test's jobs count. */
  const freshTenant = () => `retention-${randomUUID().slice(0, 8)}`;

  /** A job of that type and tenant, put in `status`, last updated `ageSec` ago. */
  async function jobIn(status: JobStatus, ageSec: number, overrides: Partial<NewJob> = {}): Promise<string> {
    const job = await insertJob(overrides);
    await ds.query(`UPDATE jobs SET status = $2, updated_at = now() - make_interval(secs => $3) WHERE id = $1`, [job.id, status, ageSec]);
    return job.id;
  }

  async function backdate(jobIds: string[], ageSec: number): Promise<void> {
    await ds.query(`UPDATE jobs SET updated_at = now() - make_interval(secs => $2) WHERE id = ANY($1::uuid[])`, [jobIds, ageSec]);
  }

  async function remaining(jobIds: string[]): Promise<string[]> {
    const rows: Array<{ id: string }> = await ds.query(`SELECT id FROM jobs WHERE id = ANY($1::uuid[])`, [jobIds]);
    return rows.map((found) => found.id).sort();
  }

  /** Batches until one comes back short, as the sweep does; a busy type is tried again. */
  async function expireAll(criteria: ExpiryCriteria, limit = 1_000): Promise<number[]> {
    const batches: number[] = [];
    for (;;) {
      const removed = await retention.expireBatch(criteria, limit);
      if (removed === null) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      batches.push(removed.length);
      if (removed.length < limit) return batches;
    }
  }

  it('deletes only the finished jobs older than the retention, of the status and type asked, each with a tombstone', async () => {
    const tenant = freshTenant();
    const old = 2 * HOUR;
    const ids: Record<string, string> = {};
    for (const status of Object.values(JobStatus)) {
      ids[`old ${status}`] = await jobIn(status, old, { tenant });
      ids[`old ${status} invoice`] = await jobIn(status, old, { tenant, type: JobType.Invoice });
    }
    ids['recent completed'] = await jobIn(JobStatus.Completed, 60, { tenant });
    const all = Object.values(ids);

    await expect(expireAll({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant })).resolves.toEqual([1]);
    expect(await remaining(all)).toEqual(all.filter((id) => id !== ids['old completed']).sort());

    await expect(expireAll({ type: JobType.Workout, status: JobStatus.Dead, olderThanSec: HOUR, tenant })).resolves.toEqual([1]);
    await expect(expireAll({ type: JobType.Workout, status: JobStatus.Cancelled, olderThanSec: HOUR, tenant })).resolves.toEqual([1]);
    await expect(expireAll({ type: JobType.Invoice, status: JobStatus.Completed, olderThanSec: HOUR, tenant })).resolves.toEqual([1]);
    // Nothing else is finished and old enough: a second pass deletes nothing.
    await expect(expireAll({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant })).resolves.toEqual([0]);

    const gone = [ids['old completed'], ids['old dead'], ids['old cancelled'], ids['old completed invoice']];
    expect(await remaining(all)).toEqual(all.filter((id) => !gone.includes(id)).sort());
    for (const kept of ['old queued', 'old processing', 'old failed', 'old queued invoice', 'old dead invoice', 'recent completed']) {
      expect((await row(ids[kept])).id).toBe(ids[kept]);
    }

    const tombstones = await ds.query(`SELECT id, tenant, type, status FROM expired_jobs WHERE tenant = $1 ORDER BY id`, [tenant]);
    expect(tombstones).toEqual(
      [
        { id: ids['old completed'], tenant, type: JobType.Workout, status: JobStatus.Completed },
        { id: ids['old dead'], tenant, type: JobType.Workout, status: JobStatus.Dead },
        { id: ids['old cancelled'], tenant, type: JobType.Workout, status: JobStatus.Cancelled },
        { id: ids['old completed invoice'], tenant, type: JobType.Invoice, status: JobStatus.Completed },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('refuses a status that may still run', async () => {
    for (const status of [JobStatus.Queued, JobStatus.Processing, JobStatus.Failed]) {
      await expect(retention.expireBatch({ type: JobType.Workout, status: status as never, olderThanSec: 0 }, 10)).rejects.toThrow(/never expire/);
    }
  });

  it('sweeps every tenant without --tenant, and only that tenant with it', async () => {
    const [mine, theirs] = [freshTenant(), freshTenant()];
    const minePurged = await jobIn(JobStatus.Dead, 2 * HOUR, { tenant: mine });
    const theirsKept = await jobIn(JobStatus.Dead, 2 * HOUR, { tenant: theirs });
    await expireAll({ type: JobType.Workout, status: JobStatus.Dead, olderThanSec: HOUR, tenant: mine });
    expect(await remaining([minePurged, theirsKept])).toEqual([theirsKept]);

    await expireAll({ type: JobType.Workout, status: JobStatus.Dead, olderThanSec: HOUR });
    expect(await remaining([theirsKept])).toEqual([]);
  });

  it('keeps the workout with its sets, the invoice with its lines and PDF, and the email record, once their jobs are gone', async () => {
    const tenant = freshTenant();
    const workouts = new WorkoutRepository(ds, execution);
    const invoices = new InvoiceRepository(ds, execution);
    const emails = new EmailMessageRepository(ds, execution);

    const workoutJob = await insertJob({ tenant });
    const workout = newWorkout([{ exercise: 'squat', reps: 5, weightKg: 100 }, { exercise: 'press', reps: 8 }]);
    await expect(workouts.saveForJob(workoutJob.id, workout)).resolves.toMatchObject({ applied: true });

    const invoiceJob = await insertJob({ tenant, type: JobType.Invoice, payload: invoiceBody() });
    const invoice: NewInvoice = {
      id: randomUUID(),
      orderId: 'order-retention',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      currency: 'EUR',
      taxRatePercent: 20,
      issuedAt: '2026-11-20',
      lines: [{ description: 'Annual plan', quantity: 1, unitPriceCents: 9900, totalCents: 9900n }],
      subtotalCents: 9900n,
      taxCents: 1980n,
      totalCents: 11_880n,
    };
    const numbered = await invoices.numberForJob(invoiceJob.id, invoice, () => ({ seller: null, numberPrefix: 'INV-' }));
    if (!numbered.applied) throw new Error('the invoice was not numbered');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.3\n'), randomBytes(512)]);
    const rendered = { invoiceId: invoice.id, number: numbered.result.number, orderId: invoice.orderId, currency: 'EUR', totals: { subtotalCents: 9900, taxCents: 1980, totalCents: 11_880 } };
    await expect(invoices.completeWithPdf(invoiceJob.id, rendered, pdf, { invoiceId: invoice.id })).resolves.toMatchObject({ applied: true });

    const emailJob = await insertJob({ tenant, type: JobType.Email });
    const email = { messageId: `<${emailJob.id}@baton>`, recipient: 'ada@example.com', template: 'welcome', subject: 'Welcome', invoiceId: null, response: '250 ok' };
    await expect(emails.recordAccepted(emailJob.id, email)).resolves.toMatchObject({ applied: true });

    const jobIds = [workoutJob.id, invoiceJob.id, emailJob.id];
    await backdate(jobIds, 2 * HOUR);
    for (const type of [JobType.Workout, JobType.Invoice, JobType.Email]) {
      await expect(expireAll({ type, status: JobStatus.Completed, olderThanSec: HOUR, tenant })).resolves.toEqual([1]);
    }
    expect(await remaining(jobIds)).toEqual([]);

    const keptWorkout = await workouts.findById(workout.id, tenant);
    expect(keptWorkout).toMatchObject({ id: workout.id, jobId: workoutJob.id });
    expect(keptWorkout?.sets?.map((set) => set.exercise)).toEqual(['squat', 'press']);
    const keptInvoice = await invoices.findById(invoice.id, tenant);
    expect(keptInvoice).toMatchObject({ id: invoice.id, jobId: invoiceJob.id, number: numbered.result.number });
    expect(keptInvoice?.lines?.map((line) => line.description)).toEqual(['Annual plan']);
    expect((await invoices.findPdf(invoice.id, tenant))?.content.equals(pdf)).toBe(true);
    await expect(emails.findByJob(emailJob.id)).resolves.toMatchObject({ messageId: email.messageId, tenant });

    // A late duplicate delivery of an expired job finds no job: it stores nothing a second time.
    await expect(workouts.saveForJob(workoutJob.id, newWorkout())).resolves.toEqual({ applied: false });
    await expect(ds.query(`SELECT count(*)::int AS n FROM workouts WHERE job_id = $1`, [workoutJob.id])).resolves.toEqual([{ n: 1 }]);
  });

  it('frees the idempotency key of an expired job: the same key makes a new job', async () => {
    const tenant = freshTenant();
    const intake = new JobIntakeRepository(ds);
    const key = `key-${randomUUID()}`;
    const first = await insertJob({ tenant, idempotencyKey: key, requestHash: 'first' });
    const reused = { ...first, id: randomUUID(), requestHash: 'second' };
    await expect(intake.insert(reused)).resolves.toEqual({ kind: 'conflict' });

    await ds.query(`UPDATE jobs SET status = 'completed', updated_at = now() - interval '2 hours' WHERE id = $1`, [first.id]);
    await expireAll({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant });

    await expect(intake.insert(reused)).resolves.toEqual({ kind: 'created', status: JobStatus.Queued });
    expect(await row(reused.id)).toMatchObject({ idempotency_key: key, request_hash: 'second', status: JobStatus.Queued });
  });

  it('deletes at most a batch per call, oldest first', async () => {
    const tenant = freshTenant();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await jobIn(JobStatus.Completed, 2 * HOUR + 25 - i, { tenant }));

    const first = await retention.expireBatch({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant }, 10);
    // The deleted jobs, each with its tenant (the read cache drops their entries).
    expect(first?.map((job) => job.id).sort()).toEqual(ids.slice(0, 10).sort());
    expect(new Set(first?.map((job) => job.tenant))).toEqual(new Set([tenant]));
    expect(await remaining(ids)).toEqual(ids.slice(10).sort());
    await expect(expireAll({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant }, 10)).resolves.toEqual([10, 5]);
    expect(await remaining(ids)).toEqual([]);
  });

  it('never deletes or counts a row twice when two sweeps run at once', async () => {
    const tenant = freshTenant();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(randomUUID());
    await ds.query(
      `INSERT INTO jobs (id, type, tenant, status, payload, max_attempts, updated_at)
       SELECT id, 'workouts', $2, 'completed', '{}', 3, now() - interval '2 hours' FROM unnest($1::uuid[]) AS id`,
      [ids, tenant],
    );
    const criteria = { type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant } as const;
    const sweeps = await Promise.all([expireAll(criteria, 20), expireAll(criteria, 20), expireAll(criteria, 20)]);

    const counted = sweeps.flat().reduce((sum, removed) => sum + removed, 0);
    expect(counted).toBe(300);
    expect(await remaining(ids)).toEqual([]);
    await expect(ds.query(`SELECT count(*)::int AS n FROM expired_jobs WHERE tenant = $1`, [tenant])).resolves.toEqual([{ n: 300 }]);
  });

  itWithServices(
    { needs: 'PostgreSQL', reason: 'another session holding the retention lock in an open transaction holds PGlite\'s single backend' },
    'leaves a type to the process that holds its lock, and sweeps the other types meanwhile',
    async () => {
      const tenant = freshTenant();
      const workout = await jobIn(JobStatus.Completed, 2 * HOUR, { tenant });
      const invoice = await jobIn(JobStatus.Completed, 2 * HOUR, { tenant, type: JobType.Invoice });
      const other = new Client({ connectionString: db.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(`SELECT pg_advisory_xact_lock(72616002, hashtext('workouts'))`);
        await expect(retention.expireBatch({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant }, 10)).resolves.toBeNull();
        await expect(retention.expireBatch({ type: JobType.Invoice, status: JobStatus.Completed, olderThanSec: HOUR, tenant }, 10)).resolves.toEqual([{ id: invoice, tenant }]);
        await other.query('COMMIT');
      } finally {
        await other.end();
      }
      await expect(retention.expireBatch({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant }, 10)).resolves.toEqual([{ id: workout, tenant }]);
      expect(await remaining([workout, invoice])).toEqual([]);
    },
  );

  it('tells the owning tenant\'s expired job from another tenant\'s and from one that never was', async () => {
    const tenant = freshTenant();
    const expired = await jobIn(JobStatus.Cancelled, 2 * HOUR, { tenant });
    await expireAll({ type: JobType.Workout, status: JobStatus.Cancelled, olderThanSec: HOUR, tenant });

    await expect(retention.isExpired(expired, tenant)).resolves.toBe(true);
    await expect(retention.isExpired(expired, freshTenant())).resolves.toBe(false);
    await expect(retention.isExpired(randomUUID(), tenant)).resolves.toBe(false);
  });

  it('forgets tombstones older than their own retention, a batch at a time, per type', async () => {
    const tenant = freshTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await jobIn(JobStatus.Completed, 2 * HOUR, { tenant }));
    const invoice = await jobIn(JobStatus.Completed, 2 * HOUR, { tenant, type: JobType.Invoice });
    await expireAll({ type: JobType.Workout, status: JobStatus.Completed, olderThanSec: HOUR, tenant });
    await expireAll({ type: JobType.Invoice, status: JobStatus.Completed, olderThanSec: HOUR, tenant });
    await ds.query(`UPDATE expired_jobs SET expired_at = now() - interval '10 days' WHERE id = ANY($1::uuid[])`, [[...ids.slice(0, 3), invoice]]);

    await expect(retention.forgetTombstones(JobType.Workout, 5 * 86_400, 2)).resolves.toBe(2);
    await expect(retention.forgetTombstones(JobType.Workout, 5 * 86_400, 2)).resolves.toBe(1);
    await expect(retention.forgetTombstones(JobType.Workout, 5 * 86_400, 2)).resolves.toBe(0);
    const left: Array<{ id: string }> = await ds.query(`SELECT id FROM expired_jobs WHERE tenant = $1 ORDER BY id`, [tenant]);
    expect(left.map((tombstone) => tombstone.id)).toEqual([...ids.slice(3), invoice].sort());
  });
});
