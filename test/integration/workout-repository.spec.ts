/** WorkoutRepository on the real database: a workout job's effect, stored and read back. */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { JobExecutionRepository } from '@baton/persistence';
import { WorkoutRepository } from '@baton/jobs';
import { openTestDataSource, TestDatabase } from '../support/services';
import { jobFixtures, newWorkout, TENANT } from '../support/job-fixtures';

describe('WorkoutRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobExecutionRepository;
  let workouts: WorkoutRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_workout_repository'));
    jobs = new JobExecutionRepository(ds);
    workouts = new WorkoutRepository(ds, jobs);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob, row } = jobFixtures(() => ds);

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
