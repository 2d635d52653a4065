/**
 * JobOperationsRepository on the real database: listing with cursors,
 * retrying a dead job, cancelling one no worker holds.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { InvalidCursorError, JobExecutionRepository, JobIntakeRepository, JobOperationsRepository, NewJob } from '@baton/persistence';
import { itWithServices } from '../support';
import { openTestDataSource, TestDatabase } from '../support/services';
import { jobFixtures, TENANT } from '../support/job-fixtures';

describe('JobOperationsRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobOperationsRepository;
  let intake: JobIntakeRepository;
  let execution: JobExecutionRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_job_operations'));
    jobs = new JobOperationsRepository(ds);
    intake = new JobIntakeRepository(ds);
    execution = new JobExecutionRepository(ds);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob, row } = jobFixtures(() => ds);

  describe('JobOperationsRepository.list', () => {
    const tenant = `list-${randomUUID().slice(0, 8)}`;

    it('pages a tenant\'s jobs newest first, filtered, stable while jobs are inserted', async () => {
      const inserted: NewJob[] = [];
      for (let i = 0; i < 5; i++) inserted.push(await insertJob({ tenant, type: i % 2 === 0 ? JobType.Workout : JobType.Invoice }));
      // A second apart, oldest first: two inserts within one tick of the clock would tie on created_at, and the id would then order them.
      for (const [i, job] of inserted.entries()) await ds.query(`UPDATE jobs SET created_at = now() - make_interval(secs => $2) WHERE id = $1`, [job.id, 60 - i]);
      await insertJob({ tenant: `${tenant}-other` });
      const newestFirst = inserted.map((job) => job.id).reverse();

      const first = await jobs.list({ tenant }, 2);
      expect(first.jobs.map((job) => job.id)).toEqual(newestFirst.slice(0, 2));
      // A job inserted between two pages comes before the cursor, not into the next page.
      const late = await insertJob({ tenant });
      const second = await jobs.list({ tenant }, 2, first.nextCursor!);
      const third = await jobs.list({ tenant }, 2, second.nextCursor!);
      expect([...second.jobs, ...third.jobs].map((job) => job.id)).toEqual(newestFirst.slice(2));
      expect(third.nextCursor).toBeNull();
      expect((await jobs.list({ tenant }, 1)).jobs[0].id).toBe(late.id);

      const invoicesOnly = await jobs.list({ tenant, type: JobType.Invoice }, 10);
      expect(invoicesOnly.jobs.map((job) => job.id)).toEqual([inserted[3].id, inserted[1].id]);
      expect((await jobs.list({ tenant, status: JobStatus.Dead }, 10)).jobs).toEqual([]);
      expect((await jobs.list({}, 500)).jobs.map((job) => job.tenant)).toEqual(expect.arrayContaining([tenant, `${tenant}-other`]));
    });

    it('refuses a cursor it did not make', async () => {
      for (const cursor of ['nope', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
        await expect(jobs.list({ tenant }, 2, cursor)).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });
  });

  describe('JobOperationsRepository.retry', () => {
    it('gives a dead job a fresh attempt budget, unpublished, so the relay publishes it again', async () => {
      const job = await insertJob({ maxAttempts: 1 });
      await intake.markPublished([job.id]);
      await execution.claim(job.id, JobType.Workout);
      await execution.recordFailure(job.id, { message: 'gave up' });
      const outcome = await jobs.retry(job.id, TENANT);
      expect(outcome).toEqual({ kind: 'retried', job: expect.objectContaining({ id: job.id, type: JobType.Workout, attempts: 0 }) });
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Queued, attempts: 0, published_at: null, last_error: 'gave up' });
      expect(await jobs.retry(job.id, TENANT)).toEqual({ kind: 'conflict', status: JobStatus.Queued });
    });

    it('finds no job of another tenant, and any job without a tenant', async () => {
      const job = await insertJob({ maxAttempts: 1 });
      await execution.claim(job.id, JobType.Workout);
      await execution.recordFailure(job.id, { message: 'gave up' });
      expect(await jobs.retry(job.id, 'someone-else')).toEqual({ kind: 'not-found' });
      expect(await jobs.retry(randomUUID())).toEqual({ kind: 'not-found' });
      expect((await jobs.retry(job.id)).kind).toBe('retried');
    });
  });

  describe('JobOperationsRepository.retryDead', () => {
    /** A dead job of `tenant`, dead `secondsAgo`: the order retryDead goes by. */
    async function deadJob(tenant: string, secondsAgo: number, type = JobType.Workout): Promise<string> {
      const job = await insertJob({ tenant, type, maxAttempts: 1 });
      await execution.claim(job.id, type);
      await execution.recordFailure(job.id, { message: 'gave up' });
      await ds.query(`UPDATE jobs SET updated_at = now() - make_interval(secs => $2) WHERE id = $1`, [job.id, secondsAgo]);
      return job.id;
    }

    it('retries the dead jobs of a tenant and type, oldest dead first, at most `limit`; counts them as it would', async () => {
      const tenant = `dead-${randomUUID().slice(0, 8)}`;
      const [oldest, middle, newest] = [await deadJob(tenant, 30), await deadJob(tenant, 20), await deadJob(tenant, 10)];
      const invoice = await deadJob(tenant, 40, JobType.Invoice);
      const theirs = await deadJob(`${tenant}-other`, 50);

      expect(await jobs.countDead({ tenant, type: JobType.Workout }, 1000)).toBe(3);
      expect(await jobs.countDead({ tenant, type: JobType.Workout }, 2)).toBe(2);
      const retried = await jobs.retryDead({ tenant, type: JobType.Workout }, 2);
      expect(retried.map((job) => job.id).sort()).toEqual([oldest, middle].sort());
      expect(retried[0]).toEqual(expect.objectContaining({ type: JobType.Workout, attempts: 0, correlationId: expect.any(String) }));
      for (const id of [oldest, middle]) expect(await row(id)).toMatchObject({ status: JobStatus.Queued, attempts: 0, published_at: null, completed_at: null });
      for (const id of [newest, invoice, theirs]) expect((await row(id)).status).toBe(JobStatus.Dead);

      expect((await jobs.retryDead({ tenant }, 1000)).map((job) => job.id).sort()).toEqual([newest, invoice].sort());
      expect(await jobs.countDead({ tenant }, 1000)).toBe(0);
      expect((await jobs.retryDead({}, 1000)).map((job) => job.id)).toContain(theirs);
    });

    itWithServices({ needs: 'PostgreSQL', reason: 'holds a row lock in a second session' }, 'skips a dead job another transaction holds, rather than waiting for it', async () => {
      const tenant = `locked-${randomUUID().slice(0, 8)}`;
      const [held, free] = [await deadJob(tenant, 20), await deadJob(tenant, 10)];
      const other = ds.createQueryRunner();
      await other.connect();
      try {
        await other.startTransaction();
        await other.query(`SELECT id FROM jobs WHERE id = $1 FOR UPDATE`, [held]);
        expect((await jobs.retryDead({ tenant }, 1)).map((job) => job.id)).toEqual([free]);
      } finally {
        await other.rollbackTransaction();
        await other.release();
      }
      expect((await row(held)).status).toBe(JobStatus.Dead);
    });
  });

  describe('JobOperationsRepository.cancel', () => {
    it('cancels a queued or failed job, never a running or finished one; a later claim leaves it alone', async () => {
      const queued = await insertJob();
      expect(await jobs.cancel(queued.id, TENANT)).toEqual({ kind: 'cancelled', job: expect.objectContaining({ id: queued.id, status: JobStatus.Cancelled }) });
      expect(await execution.claim(queued.id, JobType.Workout)).toMatchObject({ status: JobStatus.Cancelled, attempts: 0 });

      const failed = await insertJob({ maxAttempts: 3 });
      await execution.claim(failed.id, JobType.Workout);
      await execution.recordFailure(failed.id, { message: 'transient' });
      expect((await jobs.cancel(failed.id, TENANT)).kind).toBe('cancelled');

      const running = await insertJob();
      await execution.claim(running.id, JobType.Workout);
      expect(await jobs.cancel(running.id, TENANT)).toEqual({ kind: 'conflict', status: JobStatus.Processing });
      expect(await jobs.cancel(queued.id, TENANT)).toEqual({ kind: 'conflict', status: JobStatus.Cancelled });
      expect(await jobs.cancel(running.id, 'someone-else')).toEqual({ kind: 'not-found' });
    });

    it('lets a key cancel only the jobs it submitted when asked to', async () => {
      const keyId = randomUUID();
      const own = await insertJob({ apiKeyId: keyId });
      const others = await insertJob({ apiKeyId: randomUUID() });
      expect(await jobs.cancel(others.id, TENANT, keyId)).toEqual({ kind: 'not-owner' });
      expect((await row(others.id)).status).toBe(JobStatus.Queued);
      expect((await jobs.cancel(own.id, TENANT, keyId)).kind).toBe('cancelled');
    });
  });
});
