/**
 * Under concurrent load the embedded mode behaves as the services mode: the
 * same assertions, run once in each (CI runs the suite in both).
 * - services mode: an API process and two worker processes on PostgreSQL and
 *   RabbitMQ;
 * - embedded mode: `npm start` as a developer runs it, with no DATABASE_URL
 *   nor RABBITMQ_URL: its own PGlite in its own data directory, its
 *   in-process queue, its development key.
 * Concurrent effects on one job are tried on the mode's database itself:
 * PostgreSQL, or the very embedded PostgreSQL `npm start` runs.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { JobType } from '@baton/contracts';
import { createDataSource, JobExecutionRepository, JobIntakeRepository } from '@baton/persistence';
import { BATON_SCHEMA, WorkoutRepository } from '@baton/jobs';
import {
  batonEnv,
  BatonProcess,
  createTestBroker,
  createTestDatabase,
  startBaton,
  startStandalone,
  TEST_API_KEY,
  TestDatabase,
  testMode,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';
import { Answer, request, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

const CONCURRENT_REQUESTS = 20;
const CONCURRENT_EFFECTS = 10;

describe('concurrent requests and deliveries, the same in both modes', () => {
  let processes: BatonProcess[] = [];
  let api: BatonProcess;
  let apiKey: string;
  let db: TestDatabase | undefined;
  let vhost: TestVhost | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    if (testMode() === 'services') {
      [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_concurrency'), createTestBroker('baton_e2e_concurrency')]);
      ({ api, processes } = await startBaton(batonEnv(db, vhost), { workers: [{}, {}] }));
      apiKey = TEST_API_KEY;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'baton-npm-start-'));
      api = await startStandalone({ BATON_DATA_DIR: dataDir });
      processes = [api];
      const keyFile = join(dataDir, 'development-api-key');
      apiKey = await waitFor('the development key', () => {
        try {
          return readFileSync(keyFile, 'utf8').trim() || undefined;
        } catch {
          return undefined;
        }
      });
    }
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  const submit = (body: object, idempotencyKey: string) =>
    request(api.url, 'POST', '/v1/workouts', { json: body, headers: { 'Idempotency-Key': idempotencyKey }, apiKey });
  const read = (path: string) => request(api.url, 'GET', path, { apiKey });

  async function jobCount(): Promise<number> {
    const listed = await read('/v1/jobs?limit=100');
    expect(listed.status).toBe(200);
    return listed.body.jobs.length;
  }

  async function completedWorkout(jobId: string): Promise<Record<string, unknown>> {
    const job = await waitForJob(api, jobId, undefined, 30_000, apiKey);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    const workout = await read(`/v1/workouts/${job.result!.workoutId}`);
    expect(workout.status).toBe(200);
    return workout.body;
  }

  it(`makes ${CONCURRENT_REQUESTS} jobs of ${CONCURRENT_REQUESTS} concurrent requests with distinct Idempotency-Keys, each done once`, async () => {
    const before = await jobCount();
    const body = workoutBody({ userId: `distinct-${randomUUID().slice(0, 8)}` });
    const answers = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, (_, index) => submit(body, `distinct-${index}-${randomUUID()}`)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(CONCURRENT_REQUESTS).fill(202));
    const jobIds = answers.map((answer) => answer.body.jobId as string);
    expect(new Set(jobIds).size).toBe(CONCURRENT_REQUESTS);
    for (const jobId of jobIds) expect(jobId).toMatch(UUID_PATTERN);

    const workouts = await Promise.all(jobIds.map(completedWorkout));
    expect(new Set(workouts.map((workout) => workout.id)).size).toBe(CONCURRENT_REQUESTS);
    for (const workout of workouts) expect(workout).toMatchObject({ userId: body.userId, sets: body.sets });
    expect(await jobCount()).toBe(before + CONCURRENT_REQUESTS);
  });

  it(`makes one job of ${CONCURRENT_REQUESTS} concurrent requests with the same Idempotency-Key: one 202, the rest replays of it`, async () => {
    const before = await jobCount();
    const idempotencyKey = `same-${randomUUID()}`;
    const body = workoutBody({ userId: `same-${randomUUID().slice(0, 8)}` });
    const answers: Answer[] = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, () => submit(body, idempotencyKey)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array(CONCURRENT_REQUESTS - 1).fill(200), 202]);
    const [created] = answers.filter((answer) => answer.status === 202);
    for (const replay of answers.filter((answer) => answer.status === 200)) {
      expect(replay.body.jobId).toBe(created.body.jobId);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    await completedWorkout(created.body.jobId);
    expect(await jobCount()).toBe(before + 1);
  });

  describe(`${CONCURRENT_EFFECTS} concurrent effects on one job`, () => {
    let effectsDb: TestDatabase;
    let ds: DataSource;

    beforeAll(async () => {
      // The mode's database: PostgreSQL, or the embedded PostgreSQL of `npm start` (createTestDatabase starts one).
      effectsDb = await createTestDatabase('baton_e2e_concurrent_effects');
      ds = await createDataSource({ url: effectsDb.url, poolSize: CONCURRENT_EFFECTS, applicationName: 'baton-e2e-concurrency', schema: BATON_SCHEMA }).initialize();
    });

    afterAll(async () => {
      if (ds?.isInitialized) await ds.destroy();
      await effectsDb?.drop();
    });

    it('applies exactly one; the others find the job done and change nothing', async () => {
      const execution = new JobExecutionRepository(ds);
      const workouts = new WorkoutRepository(ds, execution);
      const jobId = randomUUID();
      await expect(
        new JobIntakeRepository(ds).insert({ id: jobId, type: JobType.Workout, tenant: 'e2e', payload: workoutBody(), maxAttempts: 3, correlationId: `e2e-${jobId}` }),
      ).resolves.toMatchObject({ kind: 'created' });
      await expect(execution.claim(jobId, JobType.Workout)).resolves.toMatchObject({ status: 'processing', attempts: 1 });

      const outcomes = await Promise.all(
        Array.from({ length: CONCURRENT_EFFECTS }, () =>
          workouts.saveForJob(jobId, {
            id: randomUUID(),
            userId: 'concurrent',
            activity: 'run',
            startedAt: '2026-11-20T07:30:00Z',
            durationSec: 1800,
            sets: [{ exercise: 'stride', reps: 10 }],
          }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.applied)).toHaveLength(1);
      expect(outcomes.filter((outcome) => !outcome.applied)).toHaveLength(CONCURRENT_EFFECTS - 1);
      await expect(effectsDb.query('SELECT count(*)::int AS count FROM workouts WHERE job_id = $1', [jobId])).resolves.toEqual([{ count: 1 }]);
      await expect(effectsDb.query('SELECT count(*)::int AS count FROM workout_sets')).resolves.toEqual([{ count: 1 }]);
      await expect(effectsDb.query('SELECT status FROM jobs WHERE id = $1', [jobId])).resolves.toEqual([{ status: 'completed' }]);
    });
  });
});
