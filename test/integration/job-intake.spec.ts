/**
 * JobIntakeRepository on the real database: the API's insert with
 * idempotency, and the relay's hand-over to the broker.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { JobExecutionRepository, JobIntakeRepository, NewJob, UnpublishedJob } from '@baton/persistence';
import { itWithServices } from '../support/mode';
import { openTestDataSource, TestDatabase } from '../support/services';
import { invoiceBody } from '../support/fixtures';
import { jobFixtures } from '../support/job-fixtures';

/** Fails with `what` if `promise` has not settled in `ms`: a guard against a deadlock, not a pause. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('JobIntakeRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobIntakeRepository;
  let execution: JobExecutionRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_job_intake'));
    jobs = new JobIntakeRepository(ds);
    execution = new JobExecutionRepository(ds);
  });

  afterAll(async () => {
    await close?.();
  });

  const { newJob, insertJob, row } = jobFixtures(() => ds);

  describe('JobIntakeRepository.insert', () => {
    it('creates a queued job without an idempotency key', async () => {
      const job = await insertJob();
      const stored = await row(job.id);

      expect(stored).toMatchObject({
        type: JobType.Workout,
        status: JobStatus.Queued,
        payload: job.payload,
        attempts: 0,
        max_attempts: 3,
        correlation_id: job.correlationId,
        idempotency_key: null,
        request_hash: null,
        published_at: null,
        result: null,
      });
    });

    it('creates two jobs for two requests without keys, even with the same body', async () => {
      const first = await insertJob();
      const second = await insertJob({ payload: first.payload });
      expect(second.id).not.toBe(first.id);
      expect(await row(second.id)).toBeDefined();
    });

    it('replays the first job for the same key and hash', async () => {
      const key = `key-${randomUUID()}`;
      const first = await insertJob({ idempotencyKey: key, requestHash: 'hash-a' });
      const retry = newJob({ idempotencyKey: key, requestHash: 'hash-a' });

      await expect(jobs.insert(retry)).resolves.toEqual({ kind: 'replayed', jobId: first.id, status: JobStatus.Queued });
      expect(await row(retry.id)).toBeUndefined();
    });

    it('replays with the job status as it is now', async () => {
      const key = `key-${randomUUID()}`;
      const first = await insertJob({ idempotencyKey: key, requestHash: 'hash-a' });
      await execution.claim(first.id, JobType.Workout);

      await expect(jobs.insert(newJob({ idempotencyKey: key, requestHash: 'hash-a' }))).resolves.toEqual({
        kind: 'replayed',
        jobId: first.id,
        status: JobStatus.Processing,
      });
    });

    it('reports a conflict for the same key with another hash, and stores nothing', async () => {
      const key = `key-${randomUUID()}`;
      const first = await insertJob({ idempotencyKey: key, requestHash: 'hash-a' });
      const other = newJob({ idempotencyKey: key, requestHash: 'hash-b', payload: { other: true } });

      await expect(jobs.insert(other)).resolves.toEqual({ kind: 'conflict' });
      expect(await row(other.id)).toBeUndefined();
      expect((await row(first.id)).request_hash).toBe('hash-a');
    });

    it('creates exactly one job for 10 concurrent inserts with the same key and hash', async () => {
      const key = `key-${randomUUID()}`;
      const attempts = Array.from({ length: 10 }, () => newJob({ idempotencyKey: key, requestHash: 'same-hash' }));

      const outcomes = await Promise.all(attempts.map((job) => jobs.insert(job)));

      const created = outcomes.flatMap((outcome, index) => (outcome.kind === 'created' ? [attempts[index].id] : []));
      expect(created).toHaveLength(1);
      const replayed = outcomes.filter((outcome) => outcome.kind === 'replayed');
      expect(replayed).toHaveLength(9);
      for (const outcome of replayed) expect(outcome).toEqual({ kind: 'replayed', jobId: created[0], status: JobStatus.Queued });
      const rows = await ds.query(`SELECT id FROM jobs WHERE idempotency_key = $1`, [key]);
      expect(rows).toEqual([{ id: created[0] }]);
    });
  });

  describe('JobIntakeRepository.insertBatch', () => {
    const keyed = (key: string, hash: string, overrides: Partial<NewJob> = {}) => newJob({ idempotencyKey: key, requestHash: hash, ...overrides });

    it('creates every job in one statement and answers in order: queued, or scheduled with a runAt ahead', async () => {
      const batch = [newJob(), newJob({ runAt: new Date(Date.now() + 3_600_000) }), keyed(`key-${randomUUID()}`, 'hash-a'), newJob({ runAt: new Date(Date.now() - 1000) })];

      await expect(jobs.insertBatch(batch)).resolves.toEqual([
        { kind: 'created', status: JobStatus.Queued },
        { kind: 'created', status: JobStatus.Scheduled },
        { kind: 'created', status: JobStatus.Queued },
        { kind: 'created', status: JobStatus.Queued },
      ]);
      for (const job of batch) expect(await row(job.id)).toMatchObject({ payload: job.payload, tenant: job.tenant, correlation_id: job.correlationId });
      expect((await row(batch[1].id)).status).toBe(JobStatus.Scheduled);
    });

    it('replays a key stored before with the same hash, and refuses one with another hash, storing neither', async () => {
      const [a, b] = [`key-${randomUUID()}`, `key-${randomUUID()}`];
      const firstA = await insertJob({ idempotencyKey: a, requestHash: 'hash-a' });
      await insertJob({ idempotencyKey: b, requestHash: 'hash-b' });
      const batch = [keyed(a, 'hash-a'), newJob(), keyed(b, 'hash-other')];

      await expect(jobs.insertBatch(batch)).resolves.toEqual([
        { kind: 'replayed', jobId: firstA.id, status: JobStatus.Queued },
        { kind: 'created', status: JobStatus.Queued },
        { kind: 'conflict' },
      ]);
      expect(await row(batch[0].id)).toBeUndefined();
      expect(await row(batch[2].id)).toBeUndefined();
    });

    it('answers a key repeated within the batch from its first job: a replay with the same hash, else a conflict', async () => {
      const key = `key-${randomUUID()}`;
      const batch = [keyed(key, 'hash-a'), keyed(key, 'hash-a'), keyed(key, 'hash-b')];

      await expect(jobs.insertBatch(batch)).resolves.toEqual([
        { kind: 'created', status: JobStatus.Queued },
        { kind: 'replayed', jobId: batch[0].id, status: JobStatus.Queued },
        { kind: 'conflict' },
      ]);
      expect(await ds.query(`SELECT id FROM jobs WHERE idempotency_key = $1`, [key])).toEqual([{ id: batch[0].id }]);
    });

    it('stores nothing when one job of the batch cannot be stored', async () => {
      // jsonb cannot hold U+0000: the statement fails, and the transaction with it.
      const batch = [newJob(), newJob({ payload: { notes: 'nul \u0000 inside' } }), newJob()];

      await expect(jobs.insertBatch(batch)).rejects.toThrow();
      for (const job of batch) expect(await row(job.id)).toBeUndefined();
    });

    itWithServices(
      { needs: 'PostgreSQL', reason: 'two transactions open at once: PGlite is a single backend, which runs one batch after the other' },
      'creates one job per key when batches sharing keys in opposite orders run at once, without a deadlock',
      async () => {
        const keys = Array.from({ length: 20 }, () => `key-${randomUUID()}`);
        const batches = Array.from({ length: 6 }, (_, index) => (index % 2 === 0 ? keys : [...keys].reverse()).map((key) => keyed(key, `hash-${key}`)));

        const outcomes = await Promise.all(batches.map((batch) => jobs.insertBatch(batch)));

        const created = outcomes.flat().filter((outcome) => outcome.kind === 'created');
        expect(created).toHaveLength(keys.length);
        expect(outcomes.flat().filter((outcome) => outcome.kind !== 'created' && outcome.kind !== 'replayed')).toEqual([]);
        const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM jobs WHERE idempotency_key = ANY($1::text[])`, [keys]);
        expect(count).toBe(keys.length);
      },
    );

    it('does nothing for an empty batch', async () => {
      await expect(jobs.insertBatch([])).resolves.toEqual([]);
    });
  });

  describe('JobIntakeRepository.relayUnpublished', () => {
    // Relay queries look at every job in the table: start each test from an empty one.
    beforeEach(async () => {
      await ds.query(`TRUNCATE jobs CASCADE`);
    });

    async function age(id: string, seconds: number): Promise<void> {
      await ds.query(`UPDATE jobs SET created_at = now() - make_interval(secs => $2), updated_at = now() - make_interval(secs => $2) WHERE id = $1`, [id, seconds]);
    }

    async function oldQueuedJobs(count: number): Promise<NewJob[]> {
      const created: NewJob[] = [];
      for (let index = 0; index < count; index++) {
        const job = await insertJob();
        await age(job.id, 600 - index);
        created.push(job);
      }
      return created;
    }

    it('leaves a job retried within minAge to the process that retried it, however old the job', async () => {
      const retried = await insertJob();
      await age(retried.id, 600);
      await ds.query(`UPDATE jobs SET updated_at = now() WHERE id = $1`, [retried.id]);
      const publish = jest.fn(async (batch: UnpublishedJob[]) => batch.map((job) => job.id));
      await expect(jobs.relayUnpublished(10, 10_000, publish)).resolves.toBe(0);
      expect(publish).not.toHaveBeenCalled();
    });

    it('hands only queued, unpublished jobs older than minAge to publish, oldest first, each with the trace context it was accepted in', async () => {
      const traceContext = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' };
      const older = await insertJob({ type: JobType.Invoice, payload: invoiceBody(), traceContext });
      await age(older.id, 120);
      const old = await insertJob();
      await age(old.id, 60);
      const fresh = await insertJob();
      const published = await insertJob();
      await age(published.id, 60);
      await jobs.markPublished([published.id]);
      const processing = await insertJob();
      await age(processing.id, 60);
      await execution.claim(processing.id, JobType.Workout);
      const completed = await insertJob();
      await age(completed.id, 60);
      await execution.completeWith(completed.id, async () => ({}));

      const batches: UnpublishedJob[][] = [];
      const count = await jobs.relayUnpublished(10, 10_000, async (batch) => {
        batches.push(batch);
        return batch.map((job) => job.id);
      });

      expect(count).toBe(2);
      expect(batches).toEqual([
        [
          { id: older.id, type: JobType.Invoice, payload: older.payload, correlationId: older.correlationId, attempts: 0, traceContext },
          { id: old.id, type: JobType.Workout, payload: old.payload, correlationId: old.correlationId, attempts: 0, traceContext: null },
        ],
      ]);
      expect((await row(fresh.id)).published_at).toBeNull();
      expect((await row(processing.id)).published_at).toBeNull();
      expect((await row(completed.id)).published_at).toBeNull();
    });

    it('marks only the jobs the publish callback returns', async () => {
      const [first, second, third] = await oldQueuedJobs(3);

      const count = await jobs.relayUnpublished(10, 1000, async () => [first.id, third.id]);

      expect(count).toBe(3);
      expect((await row(first.id)).published_at).toBeInstanceOf(Date);
      expect((await row(second.id)).published_at).toBeNull();
      expect((await row(third.id)).published_at).toBeInstanceOf(Date);

      const again: string[] = [];
      await jobs.relayUnpublished(10, 1000, async (batch) => {
        again.push(...batch.map((job) => job.id));
        return [];
      });
      expect(again).toEqual([second.id]);
    });

    it('takes at most `limit` jobs', async () => {
      const created = await oldQueuedJobs(5);
      const seen: string[] = [];
      await expect(
        jobs.relayUnpublished(2, 1000, async (batch) => {
          seen.push(...batch.map((job) => job.id));
          return [];
        }),
      ).resolves.toBe(2);
      expect(seen).toEqual([created[0].id, created[1].id]);
    });

    it('does not call publish when there is nothing to relay', async () => {
      await insertJob(); // too young
      const publish = jest.fn(async () => []);
      await expect(jobs.relayUnpublished(10, 60_000, publish)).resolves.toBe(0);
      expect(publish).not.toHaveBeenCalled();
    });

    it('marks nothing when publish throws', async () => {
      const [job] = await oldQueuedJobs(1);
      await expect(jobs.relayUnpublished(10, 1000, async () => Promise.reject(new Error('broker away')))).rejects.toThrow('broker away');
      expect((await row(job.id)).published_at).toBeNull();
    });

    itWithServices(
      {
        needs: 'PostgreSQL',
        reason: 'two transactions open at once: PGlite is a single backend, so the second relay cannot run while the first holds its rows',
      },
      'never hands the same job to two concurrent relays (SKIP LOCKED)',
      async () => {
        const created = await oldQueuedJobs(6);
        const firstHolding = deferred();
        const secondDone = deferred();
        const firstIds: string[] = [];
        const secondIds: string[] = [];

        const first = jobs.relayUnpublished(3, 1000, async (batch) => {
          firstIds.push(...batch.map((job) => job.id));
          firstHolding.resolve();
          // Hold the row locks until the second relay has run to its end.
          await within(secondDone.promise, 10_000, 'the second relay to finish while the first held its rows');
          return batch.map((job) => job.id);
        });
        await firstHolding.promise;
        const second = jobs
          .relayUnpublished(10, 1000, async (batch) => {
            secondIds.push(...batch.map((job) => job.id));
            return batch.map((job) => job.id);
          })
          .finally(() => secondDone.resolve());

        await expect(Promise.all([first, second])).resolves.toEqual([3, 3]);
        expect(firstIds).toHaveLength(3);
        expect(secondIds).toHaveLength(3);
        expect(firstIds.filter((id) => secondIds.includes(id))).toEqual([]);
        expect([...firstIds, ...secondIds].sort()).toEqual(created.map((job) => job.id).sort());
        await expect(ds.query(`SELECT count(*)::int AS n FROM jobs WHERE published_at IS NULL`)).resolves.toEqual([{ n: 0 }]);
      },
    );
  });

  describe('JobIntakeRepository.relayDue', () => {
    beforeEach(async () => {
      await ds.query(`TRUNCATE jobs CASCADE`);
    });

    const secondsFromNow = (seconds: number) => new Date(Date.now() + seconds * 1000);

    async function dueJob(secondsAgo: number): Promise<NewJob> {
      const job = await insertJob({ runAt: secondsFromNow(600) });
      await ds.query(`UPDATE jobs SET run_at = now() - make_interval(secs => $2) WHERE id = $1`, [job.id, secondsAgo]);
      return job;
    }

    const publishAll = async (batch: UnpublishedJob[]) => batch.map((job) => job.id);

    it('stores a job whose runAt is ahead as scheduled, with its run_at and options; one whose runAt has passed as queued', async () => {
      const runAt = secondsFromNow(60);
      const later = newJob({ runAt, options: { delaySec: 60 } });
      await expect(jobs.insert(later)).resolves.toEqual({ kind: 'created', status: JobStatus.Scheduled });
      expect(await row(later.id)).toMatchObject({ status: JobStatus.Scheduled, run_at: runAt, options: { delaySec: 60 }, published_at: null });

      const past = newJob({ runAt: secondsFromNow(-60) });
      await expect(jobs.insert(past)).resolves.toEqual({ kind: 'created', status: JobStatus.Queued });
      expect((await row(past.id)).status).toBe(JobStatus.Queued);
    });

    it('hands only due scheduled jobs to publish, earliest due first, whatever their age; queues them and marks the confirmed ones published', async () => {
      const dueLater = await dueJob(1);
      const dueFirst = await dueJob(30);
      const notYet = await insertJob({ runAt: secondsFromNow(600) });
      const unconfirmed = await dueJob(10);

      const batches: string[][] = [];
      const count = await jobs.relayDue(10, async (batch) => {
        batches.push(batch.map((job) => job.id));
        return batch.map((job) => job.id).filter((id) => id !== unconfirmed.id);
      });

      expect(count).toBe(3);
      expect(batches).toEqual([[dueFirst.id, unconfirmed.id, dueLater.id]]);
      expect(await row(dueFirst.id)).toMatchObject({ status: JobStatus.Queued, published_at: expect.any(Date) });
      expect(await row(dueLater.id)).toMatchObject({ status: JobStatus.Queued, published_at: expect.any(Date) });
      expect(await row(notYet.id)).toMatchObject({ status: JobStatus.Scheduled, published_at: null });
      // The broker did not confirm it: queued and unpublished, the sweep of unconfirmed jobs takes it (its grace counts from when it was queued).
      expect(await row(unconfirmed.id)).toMatchObject({ status: JobStatus.Queued, published_at: null });
      await ds.query(`UPDATE jobs SET updated_at = now() - interval '1 minute' WHERE id = $1`, [unconfirmed.id]);
      const swept: string[] = [];
      await jobs.relayUnpublished(10, 2000, async (batch) => {
        swept.push(...batch.map((job) => job.id));
        return [];
      });
      expect(swept).toEqual([unconfirmed.id]);
    });

    it('leaves a due job scheduled when publish throws, for the next sweep', async () => {
      const job = await dueJob(5);
      await expect(jobs.relayDue(10, async () => Promise.reject(new Error('broker away')))).rejects.toThrow('broker away');
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Scheduled, published_at: null });
      await expect(jobs.relayDue(10, publishAll)).resolves.toBe(1);
    });

    it('never hands a cancelled scheduled job to publish', async () => {
      const job = await dueJob(5);
      await ds.query(`UPDATE jobs SET status = 'cancelled' WHERE id = $1`, [job.id]);
      const publish = jest.fn(publishAll);
      await expect(jobs.relayDue(10, publish)).resolves.toBe(0);
      expect(publish).not.toHaveBeenCalled();
    });

    itWithServices(
      {
        needs: 'PostgreSQL',
        reason: 'two transactions open at once: PGlite is a single backend, so the second relay cannot run while the first holds its rows',
      },
      'never hands the same due job to two concurrent relays (SKIP LOCKED), and a claim waits for the relay to commit',
      async () => {
        const created = await Promise.all([5, 4, 3, 2].map(dueJob));
        const firstHolding = deferred();
        const secondDone = deferred();
        const firstIds: string[] = [];
        const secondIds: string[] = [];
        let claimedMeanwhile: Promise<unknown> | undefined;
        const first = jobs.relayDue(2, async (batch) => {
          firstIds.push(...batch.map((job) => job.id));
          // A worker that got the message before the relay committed: its claim waits on the row, then finds the job queued.
          claimedMeanwhile = execution.claim(batch[0].id, JobType.Workout);
          firstHolding.resolve();
          await within(secondDone.promise, 10_000, 'the second relay to finish while the first held its rows');
          return batch.map((job) => job.id);
        });
        await firstHolding.promise;
        const second = jobs.relayDue(10, async (batch) => {
          secondIds.push(...batch.map((job) => job.id));
          return batch.map((job) => job.id);
        }).finally(() => secondDone.resolve());

        await expect(Promise.all([first, second])).resolves.toEqual([2, 2]);
        expect(firstIds.filter((id) => secondIds.includes(id))).toEqual([]);
        expect([...firstIds, ...secondIds].sort()).toEqual(created.map((job) => job.id).sort());
        await expect(claimedMeanwhile).resolves.toMatchObject({ status: JobStatus.Processing, attempts: 1 });
      },
    );
  });

  describe('JobIntakeRepository.markPublished', () => {
    it('sets published_at on the given jobs only', async () => {
      const a = await insertJob();
      const b = await insertJob();
      const c = await insertJob();

      await jobs.markPublished([a.id, c.id]);

      expect((await row(a.id)).published_at).toBeInstanceOf(Date);
      expect((await row(b.id)).published_at).toBeNull();
      expect((await row(c.id)).published_at).toBeInstanceOf(Date);
    });

    it('keeps the first publication time', async () => {
      const job = await insertJob();
      await ds.query(`UPDATE jobs SET published_at = '2020-01-01T00:00:00Z' WHERE id = $1`, [job.id]);
      await jobs.markPublished([job.id]);
      expect((await row(job.id)).published_at).toEqual(new Date('2020-01-01T00:00:00Z'));
    });

    it('does nothing for an empty list', async () => {
      await expect(jobs.markPublished([])).resolves.toBeUndefined();
    });
  });
});
