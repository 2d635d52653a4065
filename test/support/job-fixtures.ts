import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { JobType } from '@baton/contracts';
import type { NewWorkout } from '@baton/jobs';
import { JobIntakeRepository, NewJob } from '@baton/persistence';
import { workoutBody } from './fixtures';

/** The tenant of the repository specs' jobs, unless a test says otherwise. */
export const TENANT = 'acme';

/**
 * Jobs for the repository specs, in the spec's own database. `dataSource` is
 * read when a test runs, since the spec opens it in its beforeAll.
 */
export function jobFixtures(dataSource: () => DataSource) {
  const newJob = (overrides: Partial<NewJob> = {}): NewJob => ({
    id: randomUUID(),
    type: JobType.Workout,
    tenant: TENANT,
    payload: workoutBody(),
    maxAttempts: 3,
    correlationId: `corr-${randomUUID()}`,
    ...overrides,
  });

  /** A new job, accepted as the API accepts one: queued, unpublished. */
  async function insertJob(overrides: Partial<NewJob> = {}): Promise<NewJob> {
    const job = newJob(overrides);
    await expect(new JobIntakeRepository(dataSource()).insert(job)).resolves.toMatchObject({ kind: 'created' });
    return job;
  }

  /** The job's row as stored, in snake_case. */
  async function row(id: string): Promise<Record<string, any>> {
    const [found] = await dataSource().query(`SELECT * FROM jobs WHERE id = $1`, [id]);
    return found;
  }

  return { newJob, insertJob, row };
}

export const newWorkout = (sets: NewWorkout['sets'] = []): NewWorkout => ({
  id: randomUUID(),
  userId: 'user-1',
  activity: 'strength',
  startedAt: '2026-11-20T07:30:00Z',
  durationSec: 3600,
  calories: 420,
  sets,
});
