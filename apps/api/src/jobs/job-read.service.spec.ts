import { JobStatus, JobType, jobView } from '@baton/contracts';
import { JobEntity } from '@baton/persistence';
import { CachedJob, cachedJob, jobRecord } from './job-read.service';

const STACK = 'Error: refused\n    at connect (/app/dist/libs/jobs/src/workouts/workout.service.js:42:11)';

/** A stored job as TypeORM gives it: its view's columns and the others, payload and tenant included. */
function storedJob(overrides: Partial<JobEntity>): JobEntity {
  return {
    id: '0b9e4c1e-7d0a-4c57-9a53-1f0d6c2b8a11',
    tenant: 'acme',
    type: JobType.Workout,
    status: JobStatus.Completed,
    payload: { userId: 'secret-user', notes: 'a payload is never cached' },
    attempts: 1,
    maxAttempts: 5,
    result: { workoutId: 'f2c9a7d4-3b1e-4f6a-8c2d-9e0b1a2c3d4e' },
    lastError: null,
    errors: [],
    runAt: null,
    scheduleId: null,
    createdAt: new Date('2026-11-30T08:00:00.123Z'),
    updatedAt: new Date('2026-11-30T08:00:01.456Z'),
    completedAt: new Date('2026-11-30T08:00:01.456Z'),
    ...overrides,
  } as JobEntity;
}

/** What a hit returns: the entry through Redis, as JSON text and back. */
const throughRedis = (entry: CachedJob): CachedJob => JSON.parse(JSON.stringify(entry)) as CachedJob;

describe(cachedJob.name, () => {
  it.each<[string, Partial<JobEntity>]>([
    ['a completed job', {}],
    ['a completed job with no result', { result: null }],
    ['a dead job with stacks', { status: JobStatus.Dead, completedAt: null, lastError: 'refused', errors: [{ attempt: 1, at: '2026-11-30T08:00:00.500Z', message: 'refused', stack: STACK }] }],
    ['a dead job with an attempt without a stack', { status: JobStatus.Dead, completedAt: null, lastError: 'refused', errors: [{ attempt: 1, at: '2026-11-30T08:00:00.500Z', message: 'refused' }] }],
    ['a dead job with an empty stack', { status: JobStatus.Dead, completedAt: null, errors: [{ attempt: 2, at: '2026-11-30T08:00:00.500Z', message: 'x', stack: '' }] }],
    ['a cancelled delayed job of a schedule', { status: JobStatus.Cancelled, completedAt: null, result: null, runAt: new Date('2026-12-24T18:00:00.000Z'), scheduleId: '5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f' }],
  ])('gives %s back answering exactly as from the database, with and without stacks', (_case, overrides) => {
    const job = storedJob(overrides);
    const entry = throughRedis(cachedJob(job));
    for (const withStacks of [true, false]) {
      expect(JSON.stringify(jobView(jobRecord(entry), withStacks))).toBe(JSON.stringify(jobView(job, withStacks)));
    }
  });

  it('keeps only what the view is made of: never the payload or the tenant', () => {
    const text = JSON.stringify(cachedJob(storedJob({})));
    expect(text).not.toContain('secret-user');
    expect(Object.keys(JSON.parse(text)).sort()).toEqual(
      ['attempts', 'completedAt', 'createdAt', 'errors', 'id', 'lastError', 'maxAttempts', 'result', 'runAt', 'scheduleId', 'status', 'type', 'updatedAt'].sort(),
    );
  });
});
