/**
 * JobExecutionRepository on the real database: a worker's claim, its failed
 * attempts, the attempts it gives back, and an effect applied exactly once.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { JobExecutionRepository, MAX_ATTEMPT_ERRORS, MAX_ERROR_LENGTH, MAX_STACK_LENGTH } from '@baton/persistence';
import { WorkoutRepository } from '@baton/jobs';
import { itWithServices } from '../support/mode';
import { waitFor } from '../support/wait-for';
import { openTestDataSource, TestDatabase } from '../support/services';
import { jobFixtures, newWorkout } from '../support/job-fixtures';

describe('JobExecutionRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobExecutionRepository;
  let workouts: WorkoutRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_job_execution'));
    jobs = new JobExecutionRepository(ds);
    workouts = new WorkoutRepository(ds, jobs);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob, row } = jobFixtures(() => ds);

  describe('JobExecutionRepository.claim', () => {
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

  describe('JobExecutionRepository.recordFailure', () => {
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

  describe('JobExecutionRepository.returnAttempts', () => {
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

  describe('JobExecutionRepository.completeWith', () => {
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
});
