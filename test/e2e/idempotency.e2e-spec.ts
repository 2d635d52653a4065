/**
 * Idempotency-Key: a retried request gets the job the first one created; a
 * key reused for another request is a conflict; racing requests with one key
 * create one job.
 */
import { randomUUID } from 'node:crypto';
import { BatonClient } from '@baton/client';
import { batonEnv, BatonProcess, createTestBroker, createTestDatabase, invoiceBody, startBaton, TEST_API_KEY, TestDatabase, TestVhost, workoutBody } from '../support';
import { Answer, countRows, post, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

/** The same JSON value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reverseKeys(item)]));
  }
  return value;
}

describe('idempotency keys', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_idempotency'), createTestBroker('baton_e2e_idempotency')]);
    ({ api, processes } = await startBaton(batonEnv(db, vhost)));
  });

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  const key = () => `e2e-${randomUUID()}`;
  const jobsWithKey = (idempotencyKey: string) => countRows(db, 'SELECT count(*) FROM jobs WHERE idempotency_key = $1', [idempotencyKey]);

  function expectAccepted(answer: Answer, status: 200 | 202) {
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ jobId: expect.stringMatching(UUID_PATTERN), status: expect.any(String), statusUrl: `/v1/jobs/${answer.body.jobId}` });
    expect(answer.headers.get('location')).toBe(answer.body.statusUrl);
    expect(answer.headers.get('idempotent-replayed')).toBe(status === 200 ? 'true' : null);
  }

  it('answers a repeat with the same key and body with the same job: 200 and Idempotent-Replayed: true', async () => {
    const idempotencyKey = key();
    const first = await post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
    const second = await post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });

    expectAccepted(first, 202);
    expect(first.body.status).toBe('queued');
    expectAccepted(second, 200);
    expect(second.body.jobId).toBe(first.body.jobId);
    expect(await jobsWithKey(idempotencyKey)).toBe(1);
  });

  it('gives the typed client a key per submission, and the first job back when it sends one again with that key', async () => {
    const baton = new BatonClient({ baseUrl: api.url, apiKey: TEST_API_KEY });
    const first = await baton.submit('workouts', workoutBody() as never);
    expect(first).toMatchObject({ jobId: expect.stringMatching(UUID_PATTERN), status: 'queued', replayed: false, idempotencyKey: expect.any(String) });
    const again = await baton.submit('workouts', workoutBody() as never, { idempotencyKey: first.idempotencyKey });
    expect(again).toMatchObject({ jobId: first.jobId, replayed: true, idempotencyKey: first.idempotencyKey });
    const other = await baton.submit('workouts', workoutBody() as never);
    expect(other.idempotencyKey).not.toBe(first.idempotencyKey);
    expect(other.jobId).not.toBe(first.jobId);
    expect(await jobsWithKey(first.idempotencyKey)).toBe(1);
  });

  it('replays with the job status of the moment, once the job has completed, and the work was done once', async () => {
    const idempotencyKey = key();
    const first = await post(api.url, '/v1/invoices', invoiceBody(), { 'Idempotency-Key': idempotencyKey });
    expectAccepted(first, 202);
    const job = await waitForJob(api, first.body.jobId);
    expect(job.status).toBe('completed');

    const replay = await post(api.url, '/v1/invoices', invoiceBody(), { 'Idempotency-Key': idempotencyKey });
    expectAccepted(replay, 200);
    expect(replay.body).toEqual({ jobId: first.body.jobId, status: 'completed', statusUrl: first.body.statusUrl });
    expect(await countRows(db, 'SELECT count(*) FROM invoices WHERE job_id = $1', [first.body.jobId])).toBe(1);
    expect((await waitForJob(api, first.body.jobId)).attempts).toBe(1);
  });

  it('counts the same body with its keys in another order (at every level) as the same body', async () => {
    const idempotencyKey = key();
    const body = workoutBody({ distanceM: 1200.5 });
    const reordered = reverseKeys(body);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(body));
    expect(JSON.stringify(reordered)).toContain('{"weightKg":100,"reps":5,"exercise":"squat"}');

    const first = await post(api.url, '/v1/workouts', body, { 'Idempotency-Key': idempotencyKey });
    const second = await post(api.url, '/v1/workouts', reordered, { 'Idempotency-Key': idempotencyKey });
    expectAccepted(first, 202);
    expectAccepted(second, 200);
    expect(second.body.jobId).toBe(first.body.jobId);
    expect(await jobsWithKey(idempotencyKey)).toBe(1);
  });

  it('answers 409 for the same key with a different body, and keeps the first job', async () => {
    const idempotencyKey = key();
    const first = await post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
    expectAccepted(first, 202);

    for (const changed of [workoutBody({ durationSec: 3601 }), workoutBody({ notes: undefined }), workoutBody({ sets: [...(workoutBody().sets as object[])].reverse() })]) {
      const conflict = await post(api.url, '/v1/workouts', changed, { 'Idempotency-Key': idempotencyKey });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('Idempotency-Key') });
      expect(conflict.headers.get('location')).toBeNull();
    }
    expect(await jobsWithKey(idempotencyKey)).toBe(1);
    const [row] = await db.query<{ id: string }>('SELECT id FROM jobs WHERE idempotency_key = $1', [idempotencyKey]);
    expect(row.id).toBe(first.body.jobId);
  });

  it('answers 409 for a key used on /v1/workouts and then on /v1/invoices', async () => {
    const idempotencyKey = key();
    const first = await post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
    expectAccepted(first, 202);
    const other = await post(api.url, '/v1/invoices', invoiceBody(), { 'Idempotency-Key': idempotencyKey });
    expect(other.status).toBe(409);
    expect(await countRows(db, `SELECT count(*) FROM jobs WHERE type = 'invoices' AND idempotency_key = $1`, [idempotencyKey])).toBe(0);
    expect(await jobsWithKey(idempotencyKey)).toBe(1);
  });

  it('creates separate jobs for the same body under different keys, and without a key', async () => {
    const [a, b] = [key(), key()];
    const withA = await post(api.url, '/v1/workouts', workoutBody({ userId: 'same-body' }), { 'Idempotency-Key': a });
    const withB = await post(api.url, '/v1/workouts', workoutBody({ userId: 'same-body' }), { 'Idempotency-Key': b });
    const plain1 = await post(api.url, '/v1/workouts', workoutBody({ userId: 'same-body' }));
    const plain2 = await post(api.url, '/v1/workouts', workoutBody({ userId: 'same-body' }));
    for (const answer of [withA, withB, plain1, plain2]) expectAccepted(answer, 202);
    expect(new Set([withA, withB, plain1, plain2].map((answer) => answer.body.jobId)).size).toBe(4);
  });

  it('takes a key of 255 printable characters, spaces inside included', async () => {
    const idempotencyKey = `${'k'.repeat(120)} ${'~'.repeat(50)} ${randomUUID()}`.padEnd(255, 'z');
    expect(idempotencyKey).toHaveLength(255);
    const first = await post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
    const second = await post(api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
    expectAccepted(first, 202);
    expectAccepted(second, 200);
    expect(second.body.jobId).toBe(first.body.jobId);
  });

  it('creates exactly one job for 20 concurrent requests with one key and one body', async () => {
    const idempotencyKey = key();
    const body = workoutBody({ userId: 'racer' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(api.url, '/v1/workouts', body, { 'Idempotency-Key': idempotencyKey })));

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status !== 200 && status !== 202)).toEqual([]);
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.body.jobId)).size).toBe(1);
    for (const answer of answers) expectAccepted(answer, answer.status as 200 | 202);
    expect(await jobsWithKey(idempotencyKey)).toBe(1);

    // And the one job is done once.
    const job = await waitForJob(api, answers[0].body.jobId);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = $1', [job.id])).toBe(1);
  });

  it('creates one job when 20 concurrent requests share a key but carry two different bodies; the other body gets 409', async () => {
    const idempotencyKey = key();
    const bodies = [workoutBody({ userId: 'race-a' }), workoutBody({ userId: 'race-b' })];
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => post(api.url, '/v1/workouts', bodies[index % 2], { 'Idempotency-Key': idempotencyKey })),
    );

    expect(answers.map((answer) => answer.status).filter((status) => ![200, 202, 409].includes(status))).toEqual([]);
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(1);
    const winner = answers.findIndex((answer) => answer.status === 202) % 2;
    answers.forEach((answer, index) => expect({ index, status: answer.status }).toEqual({ index, status: index % 2 === winner ? expect.any(Number) : 409 }));
    const accepted = answers.filter((answer) => answer.status !== 409);
    expect(accepted).toHaveLength(10);
    expect(new Set(accepted.map((answer) => answer.body.jobId)).size).toBe(1);
    expect(await jobsWithKey(idempotencyKey)).toBe(1);
    const [row] = await db.query<{ user_id: string }>(`SELECT payload->>'userId' AS user_id FROM jobs WHERE idempotency_key = $1`, [idempotencyKey]);
    expect(row.user_id).toBe(bodies[winner].userId);
  });
});
