import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { loadConfig } from '@baton/config';
import {
  createDataSource,
  DatabaseConnector,
  InvoiceRepository,
  InvalidCursorError,
  isDatabaseUnavailable,
  JobRepository,
  MAX_ATTEMPT_ERRORS,
  MAX_ERROR_LENGTH,
  MAX_STACK_LENGTH,
  NewInvoice,
  NewJob,
  NewWorkout,
  runMigrations,
  UnpublishedJob,
  WorkoutRepository,
} from '@baton/persistence';
import { itWithServices } from '../support/mode';
import { waitFor } from '../support/wait-for';
import { createTestDatabase, TestDatabase } from '../support/services';
import { invoiceBody, workoutBody } from '../support/fixtures';

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

const TENANT = 'acme';

describe('persistence (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let jobs: JobRepository;
  let workouts: WorkoutRepository;
  let invoices: InvoiceRepository;

  beforeAll(async () => {
    db = await createTestDatabase('baton_persistence');
    ds = await createDataSource({ url: db.url, poolSize: 20, applicationName: 'baton-persistence-test' }).initialize();
    jobs = new JobRepository(ds);
    workouts = new WorkoutRepository(ds, jobs);
    invoices = new InvoiceRepository(ds, jobs);
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  const newJob = (overrides: Partial<NewJob> = {}): NewJob => ({
    id: randomUUID(),
    type: JobType.Workout,
    tenant: TENANT,
    payload: workoutBody(),
    maxAttempts: 3,
    correlationId: `corr-${randomUUID()}`,
    ...overrides,
  });

  async function insertJob(overrides: Partial<NewJob> = {}): Promise<NewJob> {
    const job = newJob(overrides);
    await expect(jobs.insert(job)).resolves.toEqual({ kind: 'created' });
    return job;
  }

  async function row(id: string): Promise<Record<string, any>> {
    const [found] = await ds.query(`SELECT * FROM jobs WHERE id = $1`, [id]);
    return found;
  }

  const newWorkout = (sets: NewWorkout['sets'] = []): NewWorkout => ({
    id: randomUUID(),
    userId: 'user-1',
    activity: 'strength',
    startedAt: '2026-11-20T07:30:00Z',
    durationSec: 3600,
    calories: 420,
    sets,
  });

  describe('migrations', () => {
    it('leave no drift between the entities and the schema', async () => {
      const log = await ds.driver.createSchemaBuilder().log();
      expect(log.upQueries.map((query) => query.query)).toEqual([]);
    });

    it('are recorded, and running them again is a no-op', async () => {
      const before = await ds.query(`SELECT name FROM baton_migrations ORDER BY id`);
      expect(before).toHaveLength(ds.migrations.length);

      await expect(runMigrations(db.url)).resolves.toEqual([]);
      await expect(runMigrations(db.url)).resolves.toEqual([]);

      await expect(ds.query(`SELECT name FROM baton_migrations ORDER BY id`)).resolves.toEqual(before);
      await expect(ds.showMigrations()).resolves.toBe(false);
    });
  });

  describe('JobRepository.insert', () => {
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
      await jobs.claim(first.id, JobType.Workout);

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

  describe('JobRepository.claim', () => {
    it('makes a queued job processing and spends an attempt', async () => {
      const job = await insertJob({ maxAttempts: 4 });

      await expect(jobs.claim(job.id, JobType.Workout)).resolves.toEqual({
        type: JobType.Workout,
        status: JobStatus.Processing,
        attempts: 1,
        maxAttempts: 4,
        createdAt: expect.any(Date),
      });
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Processing, attempts: 1 });
    });

    it('spends one more attempt on each further claim (a redelivery)', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await expect(jobs.claim(job.id, JobType.Workout)).resolves.toMatchObject({ status: JobStatus.Processing, attempts: 2 });
    });

    it('takes a failed job again', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'boom' });
      await expect(jobs.claim(job.id, JobType.Workout)).resolves.toMatchObject({ status: JobStatus.Processing, attempts: 2 });
    });

    it('returns null for an unknown id', async () => {
      await expect(jobs.claim(randomUUID(), JobType.Workout)).resolves.toBeNull();
    });

    it('returns null for the wrong type, and leaves the job alone', async () => {
      const job = await insertJob({ type: JobType.Workout });
      await expect(jobs.claim(job.id, JobType.Invoice)).resolves.toBeNull();
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Queued, attempts: 0 });
    });

    it('leaves a completed job alone', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.completeWith(job.id, async () => ({ done: true }));
      const before = await row(job.id);

      await expect(jobs.claim(job.id, JobType.Workout)).resolves.toEqual({
        type: JobType.Workout,
        status: JobStatus.Completed,
        attempts: 1,
        maxAttempts: 3,
        createdAt: before.created_at,
      });
      const after = await row(job.id);
      expect(after.status).toBe(JobStatus.Completed);
      expect(after.attempts).toBe(1);
      expect(after.updated_at).toEqual(before.updated_at);
    });

    it('leaves a dead job alone', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'fatal' }, true);
      await expect(jobs.claim(job.id, JobType.Workout)).resolves.toMatchObject({ status: JobStatus.Dead, attempts: 1 });
    });
  });

  describe('JobRepository.recordFailure', () => {
    it('gives failed while attempts remain, then dead once they reach max_attempts', async () => {
      const job = await insertJob({ maxAttempts: 3 });

      await jobs.claim(job.id, JobType.Workout);
      await expect(jobs.recordFailure(job.id, { message: 'first failure' })).resolves.toBe(JobStatus.Failed);
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Failed, attempts: 1, last_error: 'first failure' });

      await jobs.claim(job.id, JobType.Workout);
      await expect(jobs.recordFailure(job.id, { message: 'second failure' })).resolves.toBe(JobStatus.Failed);

      await jobs.claim(job.id, JobType.Workout);
      await expect(jobs.recordFailure(job.id, { message: 'third failure' })).resolves.toBe(JobStatus.Dead);
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Dead, attempts: 3, last_error: 'third failure' });
    });

    it('gives dead at once when final', async () => {
      const job = await insertJob({ maxAttempts: 5 });
      await jobs.claim(job.id, JobType.Workout);
      await expect(jobs.recordFailure(job.id, { message: 'invalid payload' }, true)).resolves.toBe(JobStatus.Dead);
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Dead, attempts: 1, last_error: 'invalid payload' });
    });

    it('returns null for a completed job and changes nothing', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.completeWith(job.id, async () => ({ ok: 1 }));

      await expect(jobs.recordFailure(job.id, { message: 'late failure' })).resolves.toBeNull();
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Completed, last_error: null, result: { ok: 1 } });
    });

    it('returns null for a dead job', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'fatal' }, true);
      await expect(jobs.recordFailure(job.id, { message: 'again' })).resolves.toBeNull();
      expect((await row(job.id)).last_error).toBe('fatal');
    });

    it('returns null for an unknown job', async () => {
      await expect(jobs.recordFailure(randomUUID(), { message: 'nothing' })).resolves.toBeNull();
    });

    it(`keeps at most ${MAX_ERROR_LENGTH} characters of the error`, async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'e'.repeat(MAX_ERROR_LENGTH * 3), stack: 's'.repeat(MAX_STACK_LENGTH * 3) });
      expect((await row(job.id)).last_error).toBe('e'.repeat(MAX_ERROR_LENGTH));
      expect((await row(job.id)).errors).toEqual([
        { attempt: 1, at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), message: 'e'.repeat(MAX_ERROR_LENGTH), stack: 's'.repeat(MAX_STACK_LENGTH) },
      ]);
    });

    it('keeps each attempt\'s error, oldest first, without a stack when there was none', async () => {
      const job = await insertJob({ maxAttempts: 3 });
      for (const message of ['first', 'second']) {
        await jobs.claim(job.id, JobType.Workout);
        await jobs.recordFailure(job.id, { message, stack: `Error: ${message}\n    at handler` });
      }
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'invalid payload' }, true);
      const { errors, status } = await row(job.id);
      expect(status).toBe(JobStatus.Dead);
      expect(errors.map((error: { attempt: number; message: string; stack?: string }) => [error.attempt, error.message, error.stack])).toEqual([
        [1, 'first', 'Error: first\n    at handler'],
        [2, 'second', 'Error: second\n    at handler'],
        [3, 'invalid payload', undefined],
      ]);
    });

    it(`keeps the last ${MAX_ATTEMPT_ERRORS} attempt errors only`, async () => {
      const job = await insertJob({ maxAttempts: MAX_ATTEMPT_ERRORS + 5 });
      for (let attempt = 1; attempt <= MAX_ATTEMPT_ERRORS + 3; attempt++) {
        await jobs.claim(job.id, JobType.Workout);
        await jobs.recordFailure(job.id, { message: `failure ${attempt}` });
      }
      const { errors } = await row(job.id);
      expect(errors).toHaveLength(MAX_ATTEMPT_ERRORS);
      expect(errors[0].message).toBe('failure 4');
      expect(errors.at(-1).message).toBe(`failure ${MAX_ATTEMPT_ERRORS + 3}`);
    });
  });

  describe('JobRepository.list', () => {
    const tenant = `list-${randomUUID().slice(0, 8)}`;

    it('pages a tenant\'s jobs newest first, filtered, stable while jobs are inserted', async () => {
      const inserted: NewJob[] = [];
      for (let i = 0; i < 5; i++) inserted.push(await insertJob({ tenant, type: i % 2 === 0 ? JobType.Workout : JobType.Invoice }));
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

  describe('JobRepository.retry', () => {
    it('gives a dead job a fresh attempt budget, unpublished, so the relay publishes it again', async () => {
      const job = await insertJob({ maxAttempts: 1 });
      await jobs.markPublished([job.id]);
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'gave up' });
      const outcome = await jobs.retry(job.id, TENANT);
      expect(outcome).toEqual({ kind: 'retried', job: expect.objectContaining({ id: job.id, type: JobType.Workout, attempts: 0 }) });
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Queued, attempts: 0, published_at: null, last_error: 'gave up' });
      expect(await jobs.retry(job.id, TENANT)).toEqual({ kind: 'conflict', status: JobStatus.Queued });
    });

    it('finds no job of another tenant, and any job without a tenant', async () => {
      const job = await insertJob({ maxAttempts: 1 });
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'gave up' });
      expect(await jobs.retry(job.id, 'someone-else')).toEqual({ kind: 'not-found' });
      expect(await jobs.retry(randomUUID())).toEqual({ kind: 'not-found' });
      expect((await jobs.retry(job.id)).kind).toBe('retried');
    });
  });

  describe('JobRepository.returnAttempts', () => {
    it('gives back the attempt of a job taken but unfinished, and leaves others alone', async () => {
      const taken = await insertJob();
      const waiting = await insertJob();
      const done = await insertJob();
      await jobs.claim(taken.id, JobType.Workout);
      await jobs.claim(done.id, JobType.Workout);
      await jobs.completeWith(done.id, async () => ({}));

      expect(await jobs.returnAttempts([taken.id, waiting.id, done.id])).toBe(1);
      expect(await row(taken.id)).toMatchObject({ status: JobStatus.Queued, attempts: 0 });
      expect(await row(waiting.id)).toMatchObject({ status: JobStatus.Queued, attempts: 0 });
      expect(await row(done.id)).toMatchObject({ status: JobStatus.Completed, attempts: 1 });
    });

    itWithServices({ needs: 'PostgreSQL', reason: 'two transactions at once (PGlite is a single backend)' }, 'skips, without waiting, a job whose effect is committing (its row locked)', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      let release!: () => void;
      const effectRunning = new Promise<void>((resolve) => {
        void jobs.completeWith(job.id, async () => {
          resolve();
          await new Promise<void>((done) => (release = done));
          return {};
        });
      });
      await effectRunning;
      try {
        expect(await jobs.returnAttempts([job.id])).toBe(0);
      } finally {
        release();
      }
      await waitFor('the effect to commit', async () => ((await row(job.id)).status === JobStatus.Completed ? true : undefined));
      expect((await row(job.id)).attempts).toBe(1);
    });
  });

  describe('JobRepository.cancel', () => {
    it('cancels a queued or failed job, never a running or finished one; a later claim leaves it alone', async () => {
      const queued = await insertJob();
      expect(await jobs.cancel(queued.id, TENANT)).toEqual({ kind: 'cancelled', job: expect.objectContaining({ id: queued.id, status: JobStatus.Cancelled }) });
      expect(await jobs.claim(queued.id, JobType.Workout)).toMatchObject({ status: JobStatus.Cancelled, attempts: 0 });

      const failed = await insertJob({ maxAttempts: 3 });
      await jobs.claim(failed.id, JobType.Workout);
      await jobs.recordFailure(failed.id, { message: 'transient' });
      expect((await jobs.cancel(failed.id, TENANT)).kind).toBe('cancelled');

      const running = await insertJob();
      await jobs.claim(running.id, JobType.Workout);
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

  describe('JobRepository.completeWith', () => {
    it('marks the job completed with the effect result', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);

      await expect(jobs.completeWith(job.id, async () => ({ answer: 42 }))).resolves.toEqual({ applied: true, result: { answer: 42 } });
      const stored = await row(job.id);
      expect(stored).toMatchObject({ status: JobStatus.Completed, result: { answer: 42 }, last_error: null });
      expect(stored.completed_at).toBeInstanceOf(Date);
    });

    it('clears the error of an earlier failed attempt', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.recordFailure(job.id, { message: 'transient' });
      await jobs.claim(job.id, JobType.Workout);
      await jobs.completeWith(job.id, async () => ({}));
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Completed, last_error: null });
    });

    it('does not run the effect for a finished job', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      await jobs.completeWith(job.id, async () => ({ first: true }));
      const effect = jest.fn(async () => ({ second: true }));

      await expect(jobs.completeWith(job.id, effect)).resolves.toEqual({ applied: false });
      expect(effect).not.toHaveBeenCalled();
      expect((await row(job.id)).result).toEqual({ first: true });
    });

    it('rolls the effect back with the job when it throws', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      const workout = newWorkout([{ exercise: 'squat', reps: 5 }]);

      const failing = jobs.completeWith(job.id, async (manager, effectJob) => {
        await manager.query(
          `INSERT INTO workouts (id, job_id, tenant, user_id, activity, started_at, duration_sec) VALUES ($1, $2, $3, 'u', 'run', now(), 60)`,
          [workout.id, job.id, effectJob.tenant],
        );
        throw new Error('render failed');
      });

      await expect(failing).rejects.toThrow('render failed');
      await expect(ds.query(`SELECT id FROM workouts WHERE job_id = $1`, [job.id])).resolves.toEqual([]);
      expect((await row(job.id)).status).toBe(JobStatus.Processing);
    });

    it('applies the effect exactly once when run 5 times concurrently for the same job', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      const candidates = Array.from({ length: 5 }, () => newWorkout([{ exercise: 'squat', reps: 5 }]));

      const settled = await Promise.allSettled(candidates.map((workout) => workouts.saveForJob(job.id, workout)));

      const rejected = settled.filter((outcome) => outcome.status === 'rejected');
      expect(rejected).toEqual([]);
      const outcomes = settled.map((outcome) => (outcome as PromiseFulfilledResult<Awaited<ReturnType<WorkoutRepository['saveForJob']>>>).value);
      const applied = outcomes.filter((outcome) => outcome.applied);
      expect(applied).toHaveLength(1);
      expect(outcomes.filter((outcome) => !outcome.applied)).toHaveLength(4);

      const rows = await ds.query(`SELECT id FROM workouts WHERE job_id = $1`, [job.id]);
      expect(rows).toHaveLength(1);
      const winner = (applied[0] as { applied: true; result: { workoutId: string } }).result.workoutId;
      expect(rows[0].id).toBe(winner);
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Completed, result: { workoutId: winner } });
      await expect(ds.query(`SELECT count(*)::int AS n FROM workout_sets WHERE workout_id = ANY($1::uuid[])`, [candidates.map((c) => c.id)])).resolves.toEqual([
        { n: 1 },
      ]);
    });
  });

  describe('WorkoutRepository', () => {
    it('stores a workout with 500 sets and reads them back in order', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      const sets = Array.from({ length: 500 }, (_, index) => ({
        exercise: `exercise-${String(499 - index).padStart(3, '0')}`,
        reps: (index % 1000) + 1,
        ...(index % 3 === 0 ? {} : { weightKg: index / 4 }),
      }));
      const workout = { ...newWorkout(sets), distanceM: 1234.5, notes: 'long session' };

      await expect(workouts.saveForJob(job.id, workout)).resolves.toEqual({ applied: true, result: { workoutId: workout.id } });
      // Rewrite every other row so that the table's physical order no longer matches the sets' order.
      await ds.query(`UPDATE workout_sets SET reps = reps WHERE workout_id = $1 AND position % 2 = 0`, [workout.id]);

      const found = await workouts.findById(workout.id, TENANT);
      expect(found).not.toBeNull();
      expect(found).toMatchObject({
        id: workout.id,
        jobId: job.id,
        userId: 'user-1',
        activity: 'strength',
        durationSec: 3600,
        distanceM: 1234.5,
        calories: 420,
        notes: 'long session',
      });
      expect(found!.startedAt).toEqual(new Date('2026-11-20T07:30:00Z'));
      expect(found!.sets).toHaveLength(500);
      expect(found!.sets!.map((set) => set.position)).toEqual(sets.map((_, index) => index));
      expect(found!.sets!.map((set) => ({ exercise: set.exercise, reps: set.reps, weightKg: set.weightKg }))).toEqual(
        sets.map((set) => ({ exercise: set.exercise, reps: set.reps, weightKg: set.weightKg ?? null })),
      );
      expect((await row(job.id)).status).toBe(JobStatus.Completed);
    });

    it('stores a workout without sets and optional fields', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, JobType.Workout);
      const workout = { ...newWorkout([]), calories: undefined };
      await workouts.saveForJob(job.id, workout);

      const found = await workouts.findById(workout.id, TENANT);
      expect(found).toMatchObject({ id: workout.id, distanceM: null, calories: null, notes: null, sets: [] });
    });

    it('stores nothing for an unknown job', async () => {
      const workout = newWorkout([{ exercise: 'squat', reps: 5 }]);
      await expect(workouts.saveForJob(randomUUID(), workout)).resolves.toEqual({ applied: false });
      await expect(workouts.findById(workout.id, TENANT)).resolves.toBeNull();
    });

    it('finds nothing for an unknown id', async () => {
      await expect(workouts.findById(randomUUID(), TENANT)).resolves.toBeNull();
    });
  });

  describe('InvoiceRepository', () => {
    it('stores an invoice, its lines and its PDF, completing the job', async () => {
      const job = await insertJob({ type: JobType.Invoice, payload: invoiceBody() });
      await jobs.claim(job.id, JobType.Invoice);
      const pdf = Buffer.concat([Buffer.from('%PDF-1.3\n'), randomBytes(4096)]);
      const invoice: NewInvoice = {
        id: randomUUID(),
        orderId: 'order-1',
        customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical Row, London' },
        currency: 'EUR',
        taxRatePercent: 8.875,
        issuedAt: '2026-11-20',
        lines: [
          { description: 'Annual plan', quantity: 1, unitPriceCents: 9900, totalCents: 9900n },
          { description: 'Extra seat', quantity: 3, unitPriceCents: 1999, totalCents: 5997n },
          { description: 'Bulk', quantity: 100_000, unitPriceCents: 1_000_000_000, totalCents: 100_000_000_000_000n },
        ],
        subtotalCents: 100_000_000_015_897n,
        taxCents: 8_875_000_001_411n,
        totalCents: 108_875_000_017_308n,
      };
      const result = { invoiceId: invoice.id, pdfUrl: `/v1/invoices/${invoice.id}/pdf` };

      const numbered = await invoices.numberForJob(job.id, invoice, () => ({ seller: null, numberPrefix: 'INV-' }));
      expect(numbered).toEqual({ applied: true, result: { id: invoice.id, number: expect.stringMatching(/^INV-2026-\d{6}$/), issuedAt: '2026-11-20', seller: null } });
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Processing });
      await expect(invoices.completeWithPdf(job.id, invoice.id, pdf, result)).resolves.toEqual({ applied: true, result });

      const found = await invoices.findById(invoice.id, TENANT);
      expect(found).toMatchObject({
        id: invoice.id,
        jobId: job.id,
        orderId: 'order-1',
        customerName: 'Ada Lovelace',
        customerEmail: 'ada@example.com',
        customerAddress: '12 Analytical Row, London',
        currency: 'EUR',
        taxRatePercent: 8.875,
        issuedAt: '2026-11-20',
        subtotalCents: 100_000_000_015_897,
        taxCents: 8_875_000_001_411,
        totalCents: 108_875_000_017_308,
      });
      expect(found!.lines!.map(({ position, description, quantity, unitPriceCents, totalCents }) => ({ position, description, quantity, unitPriceCents, totalCents }))).toEqual([
        { position: 0, description: 'Annual plan', quantity: 1, unitPriceCents: 9900, totalCents: 9900 },
        { position: 1, description: 'Extra seat', quantity: 3, unitPriceCents: 1999, totalCents: 5997 },
        { position: 2, description: 'Bulk', quantity: 100_000, unitPriceCents: 1_000_000_000, totalCents: 100_000_000_000_000 },
      ]);
      expect(found!.pdf).toBeUndefined(); // the PDF is only read by findPdf

      const stored = await invoices.findPdf(invoice.id, TENANT);
      expect(Buffer.isBuffer(stored!.content)).toBe(true);
      expect(stored!.content.equals(pdf)).toBe(true);
      expect(stored!.number).toMatch(/^INV-2026-\d{6}$/);
      expect(await row(job.id)).toMatchObject({ status: JobStatus.Completed, result });
    });

    it('stores an invoice without an address', async () => {
      const job = await insertJob({ type: JobType.Invoice, payload: invoiceBody() });
      await jobs.claim(job.id, JobType.Invoice);
      const id = randomUUID();
      await invoices.numberForJob(
        job.id,
        {
          id,
          orderId: 'o-2',
          customer: { name: 'B', email: 'b@example.com' },
          currency: 'JPY',
          taxRatePercent: 0,
          issuedAt: '2026-01-31',
          lines: [{ description: 'x', quantity: 2, unitPriceCents: 500, totalCents: 1000n }],
          subtotalCents: 1000n,
          taxCents: 0n,
          totalCents: 1000n,
        },
        () => ({ seller: null, numberPrefix: 'INV-' }),
      );
      await expect(invoices.findById(id, TENANT)).resolves.toMatchObject({ customerAddress: null, currency: 'JPY', taxRatePercent: 0, issuedAt: '2026-01-31' });
    });

    it('finds nothing for an unknown id', async () => {
      await expect(invoices.findById(randomUUID(), TENANT)).resolves.toBeNull();
      await expect(invoices.findPdf(randomUUID(), TENANT)).resolves.toBeNull();
    });
  });

  describe('relay', () => {
    // Relay queries look at every job in the table: start each test from an empty one.
    beforeEach(async () => {
      await ds.query(`TRUNCATE jobs CASCADE`);
    });

    async function age(id: string, seconds: number): Promise<void> {
      await ds.query(`UPDATE jobs SET created_at = now() - make_interval(secs => $2) WHERE id = $1`, [id, seconds]);
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

    it('hands only queued, unpublished jobs older than minAge to publish, oldest first', async () => {
      const older = await insertJob({ type: JobType.Invoice, payload: invoiceBody() });
      await age(older.id, 120);
      const old = await insertJob();
      await age(old.id, 60);
      const fresh = await insertJob();
      const published = await insertJob();
      await age(published.id, 60);
      await jobs.markPublished([published.id]);
      const processing = await insertJob();
      await age(processing.id, 60);
      await jobs.claim(processing.id, JobType.Workout);
      const completed = await insertJob();
      await age(completed.id, 60);
      await jobs.completeWith(completed.id, async () => ({}));

      const batches: UnpublishedJob[][] = [];
      const count = await jobs.relayUnpublished(10, 10_000, async (batch) => {
        batches.push(batch);
        return batch.map((job) => job.id);
      });

      expect(count).toBe(2);
      expect(batches).toEqual([
        [
          { id: older.id, type: JobType.Invoice, payload: older.payload, correlationId: older.correlationId, attempts: 0 },
          { id: old.id, type: JobType.Workout, payload: old.payload, correlationId: old.correlationId, attempts: 0 },
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

  describe('JobRepository.markPublished', () => {
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

  describe(isDatabaseUnavailable.name, () => {
    const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/x';

    it('is true for a real connection failure', async () => {
      const unreachable = createDataSource({ url: UNREACHABLE, poolSize: 1, applicationName: 'baton-unreachable-test' });
      try {
        // Wherever the failure surfaces (initialize or the first query), it is a connection failure.
        const error = await unreachable
          .initialize()
          .then((source) => source.query('SELECT 1'))
          .then(
            () => undefined,
            (failure: unknown) => failure,
          );
        // (pg's socket errors come from Node's own realm, so no instanceof here)
        expect(error).toMatchObject({ code: 'ECONNREFUSED' });
        expect(isDatabaseUnavailable(error)).toBe(true);
      } finally {
        if (unreachable.isInitialized) await unreachable.destroy();
      }
    });

    it('is false for a real SQL syntax error', async () => {
      const error = await ds.query('SELEC 1').then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as { driverError?: { code?: string } }).driverError?.code).toBe('42601');
      expect(isDatabaseUnavailable(error)).toBe(false);
    });

    it('is false for a real constraint violation', async () => {
      const job = await insertJob();
      const error = await jobs.insert({ ...newJob(), id: job.id }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(false);
    });
  });

  describe(createDataSource.name, () => {
    // PersistenceModule.forRoot relies on this so that the API and the worker
    // start (not ready) while PostgreSQL is away, instead of crashing.
    it('a process starts without PostgreSQL: the connector retries in the background and queries fail as unavailable', async () => {
      const connector = new DatabaseConnector(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }), 'baton-unreachable-test');
      try {
        expect(connector.dataSource.isInitialized).toBe(false);
        const error = await new JobRepository(connector.dataSource).findById('00000000-0000-0000-0000-000000000000', TENANT).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(isDatabaseUnavailable(error)).toBe(true);
      } finally {
        await connector.onApplicationShutdown();
      }
      await connector.whenConnected();
      expect(connector.dataSource.isInitialized).toBe(false);
    });

    it('the connector connects once PostgreSQL answers', async () => {
      const connector = new DatabaseConnector(loadConfig({ DATABASE_URL: db.url }), 'baton-connector-test');
      await connector.whenConnected();
      expect(connector.dataSource.isInitialized).toBe(true);
      expect(await new JobRepository(connector.dataSource).findById('00000000-0000-0000-0000-000000000000', TENANT)).toBeNull();
      await connector.onApplicationShutdown();
      expect(connector.dataSource.isInitialized).toBe(false);
    });
  });
});
