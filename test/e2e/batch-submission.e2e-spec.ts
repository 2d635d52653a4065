/**
 * POST /v1/<type>/batch: many submissions in one request, each item
 * answered on its own (a wrong item refused alone, the others committed
 * together), per-item idempotency keys, and the envelope's own limits
 * (a 400 naming `items`, a 413 past 500 items or 5 MiB, nothing stored).
 */
import { randomUUID } from 'node:crypto';
import { BatonClient } from '@baton/client';
import {
  batonEnv,
  BatonProcess,
  createTestBroker,
  createTestDatabase,
  orderConfirmationBody,
  startBaton,
  TEST_API_KEY,
  TestDatabase,
  TestVhost,
  waitFor,
  welcomeEmailBody,
  workoutBody,
} from '../support';
import { Answer, countRows, get, post, request, RequestOptions, stopAll, UUID_PATTERN } from './e2e-support';

interface ItemResult {
  index: number;
  status: number;
  jobId?: string;
  statusUrl?: string;
  replayed?: true;
  errors?: Array<{ field: string; messages: string[] }>;
}

describe('batch submission', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_batch'), createTestBroker('baton_e2e_batch')]);
    // Emails on, for their admission check; no email of this suite is ever due, so the SMTP server is never dialled.
    const emailsOn = { DISABLED_JOB_TYPES: '', SMTP_URL: 'smtp://127.0.0.1:9', MAIL_FROM: 'shop@example.com' };
    ({ api, processes } = await startBaton({ ...batonEnv(db, vhost), ...emailsOn }));
  });

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  /** A user id of the test's own, so that counts see only its rows. */
  const freshUser = () => `batch-${randomUUID()}`;
  const jobsOf = (userId: string) => countRows(db, `SELECT count(*) FROM jobs WHERE payload->>'userId' = $1`, [userId]);
  const workoutsOf = (userId: string) => countRows(db, 'SELECT count(*) FROM workouts WHERE user_id = $1', [userId]);
  const allJobs = () => countRows(db, 'SELECT count(*) FROM jobs');

  /** POSTs a batch; checks the answer is a 200 with one result per item, each carrying its index. */
  async function submitBatch(path: string, items: unknown[]): Promise<ItemResult[]> {
    const answer = await post(api.url, path, { items });
    expect({ status: answer.status, body: answer.text.slice(0, 500) }).toEqual({ status: 200, body: expect.any(String) });
    const results: ItemResult[] = answer.body.results;
    expect(results.map((result) => result.index)).toEqual(items.map((_, index) => index));
    return results;
  }

  /** Sends a batch that must be refused whole: its status, the error shape, and no job stored. */
  async function refused(options: RequestOptions, status: number, path = '/v1/workouts/batch'): Promise<Answer> {
    const before = await allJobs();
    const answer = await request(api.url, 'POST', path, options);
    expect({ status: answer.status, body: answer.text.slice(0, 500) }).toEqual({ status, body: expect.any(String) });
    expect(answer.body).toMatchObject({ statusCode: status, message: expect.any(String), requestId: expect.any(String) });
    expect(await allJobs()).toBe(before);
    return answer;
  }

  function expectAccepted(result: ItemResult, index: number) {
    expect(result).toEqual({ index, status: 202, jobId: expect.stringMatching(UUID_PATTERN), statusUrl: `/v1/jobs/${result.jobId}` });
  }

  it('accepts 48 of 50 workouts, names the 2 wrong ones by index and field, stores exactly 48, and a resend with the same keys creates nothing', async () => {
    const userId = freshUser();
    const items: Array<Record<string, unknown>> = Array.from({ length: 50 }, (_, index) =>
      workoutBody({ userId, durationSec: 60 + index, options: { idempotencyKey: `${userId}-${index}` } }),
    );
    items[7] = { ...items[7], durationSec: 0 };
    items[31] = { ...items[31], sets: [{ exercise: 'squat', reps: 5 }, { exercise: 'lunge', reps: 0 }] };

    const results = await submitBatch('/v1/workouts/batch', items);
    expect(results[7]).toEqual({ index: 7, status: 400, errors: [{ field: 'durationSec', messages: [expect.any(String)] }] });
    expect(results[31]).toEqual({ index: 31, status: 400, errors: [{ field: 'sets.1.reps', messages: [expect.any(String)] }] });
    const accepted = results.filter((result) => result.index !== 7 && result.index !== 31);
    accepted.forEach((result) => expectAccepted(result, result.index));
    const jobIds = accepted.map((result) => result.jobId!);
    expect(new Set(jobIds).size).toBe(48);

    // Every accepted job is worked, each once, into exactly its workout.
    await waitFor('the 48 jobs to complete', async () =>
      (await countRows(db, `SELECT count(*) FROM jobs WHERE id = ANY($1::uuid[]) AND status = 'completed'`, [jobIds])) === 48 ? true : undefined,
    );
    expect(await jobsOf(userId)).toBe(48);
    expect(await workoutsOf(userId)).toBe(48);
    const [workout] = await db.query<{ duration_sec: number }>('SELECT duration_sec FROM workouts WHERE job_id = $1', [results[10].jobId]);
    expect(workout.duration_sec).toBe(70);

    const resent = await submitBatch('/v1/workouts/batch', items);
    expect(resent[7]).toEqual(results[7]);
    expect(resent[31]).toEqual(results[31]);
    for (const result of accepted) {
      expect(resent[result.index]).toEqual({ index: result.index, status: 200, jobId: result.jobId, statusUrl: result.statusUrl, replayed: true });
    }
    expect(await jobsOf(userId)).toBe(48);
    expect(await workoutsOf(userId)).toBe(48);
  });

  it('answers an item whose key was used with another body 409 naming options.idempotencyKey, and keeps the first job', async () => {
    const userId = freshUser();
    const key = `${userId}-key`;
    const [first] = await submitBatch('/v1/workouts/batch', [workoutBody({ userId, options: { idempotencyKey: key } })]);
    expectAccepted(first, 0);

    const [conflict, other] = await submitBatch('/v1/workouts/batch', [
      workoutBody({ userId, durationSec: 61, options: { idempotencyKey: key } }),
      workoutBody({ userId }),
    ]);
    expect(conflict).toEqual({ index: 0, status: 409, errors: [{ field: 'options.idempotencyKey', messages: [expect.any(String)] }] });
    expectAccepted(other, 1);
    const [row] = await db.query<{ id: string }>('SELECT id FROM jobs WHERE idempotency_key = $1', [key]);
    expect(row.id).toBe(first.jobId);
    expect(await jobsOf(userId)).toBe(2);
  });

  it('answers a repeated key within one batch as a repeat of the first item, or 409 for another body', async () => {
    const userId = freshUser();
    const key = `${userId}-twice`;
    const body = workoutBody({ userId, options: { idempotencyKey: key } });
    const results = await submitBatch('/v1/workouts/batch', [body, { ...body }, { ...body, durationSec: 1 }]);
    expectAccepted(results[0], 0);
    expect(results[1]).toEqual({ index: 1, status: 200, jobId: results[0].jobId, statusUrl: results[0].statusUrl, replayed: true });
    expect(results[2]).toMatchObject({ index: 2, status: 409, errors: [{ field: 'options.idempotencyKey' }] });
    expect(await jobsOf(userId)).toBe(1);
  });

  it('binds an item key as the Idempotency-Key header binds it: a single submission sent again in a batch is a repeat', async () => {
    const userId = freshUser();
    const key = `${userId}-single`;
    const single = await post(api.url, '/v1/workouts', workoutBody({ userId }), { 'Idempotency-Key': key });
    expect(single.status).toBe(202);
    const [again] = await submitBatch('/v1/workouts/batch', [workoutBody({ userId, options: { idempotencyKey: key } })]);
    expect(again).toMatchObject({ status: 200, jobId: single.body.jobId, replayed: true });
    expect(await jobsOf(userId)).toBe(1);
  });

  it('stores an item with options.runAt ahead as scheduled, and refuses one past JOB_MAX_DELAY_SEC alone', async () => {
    const userId = freshUser();
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const results = await submitBatch('/v1/workouts/batch', [
      workoutBody({ userId, options: { runAt: inAnHour } }),
      workoutBody({ userId, options: { delaySec: 7200 } }),
      workoutBody({ userId }),
      workoutBody({ userId, options: { runAt: '2099-01-01T00:00:00Z' } }),
    ]);
    [0, 1, 2].forEach((index) => expectAccepted(results[index], index));
    expect(results[3]).toEqual({ index: 3, status: 400, errors: [{ field: 'options.runAt', messages: [expect.stringContaining('JOB_MAX_DELAY_SEC')] }] });
    const statusOf = async (jobId: string) => (await get(api.url, `/v1/jobs/${jobId}`)).body;
    expect(await statusOf(results[0].jobId!)).toMatchObject({ status: 'scheduled', runAt: new Date(inAnHour).toISOString() });
    expect(await statusOf(results[1].jobId!)).toMatchObject({ status: 'scheduled' });
    await waitFor('the job due now to complete', async () => ((await statusOf(results[2].jobId!)).status === 'completed' ? true : undefined));
    expect(await jobsOf(userId)).toBe(3);
  });

  it("runs the type's admission check per item: an email attaching an unknown invoice is refused alone", async () => {
    const to = `${randomUUID()}@example.com`;
    const results = await submitBatch('/v1/emails/batch', [
      orderConfirmationBody({}, { to, invoiceId: randomUUID() }),
      welcomeEmailBody({}, { to, options: { delaySec: 3600 } }),
    ]);
    expect(results[0]).toEqual({ index: 0, status: 400, errors: [{ field: 'invoiceId', messages: [expect.any(String)] }] });
    expectAccepted(results[1], 1);
    expect(await countRows(db, `SELECT count(*) FROM jobs WHERE payload->>'to' = $1`, [to])).toBe(1);
  });

  it('gives the typed client a key per item, so that the whole batch is safe to send again', async () => {
    const userId = freshUser();
    const baton = new BatonClient({ baseUrl: api.url, apiKey: TEST_API_KEY });
    const items = [workoutBody({ userId }), workoutBody({ userId, durationSec: -1 }), workoutBody({ userId, options: { idempotencyKey: `${userId}-own` } })];
    const first = await baton.submitBatch('workouts', items as never);
    expect(first.map((result) => result.status)).toEqual([202, 400, 202]);
    expect(first[2].idempotencyKey).toBe(`${userId}-own`);
    expect(first[0].idempotencyKey).toMatch(UUID_PATTERN);

    const again = await baton.submitBatch('workouts', items.map((item, index) => ({ ...item, options: { idempotencyKey: first[index].idempotencyKey } })) as never);
    expect(again.map((result) => result.status)).toEqual([200, 400, 200]);
    expect(again.map((result) => ('jobId' in result ? result.jobId : undefined))).toEqual(first.map((result) => ('jobId' in result ? result.jobId : undefined)));
    expect(await jobsOf(userId)).toBe(2);
  });

  describe('the envelope', () => {
    it.each<[string, unknown, string[]]>([
      ['an array', [workoutBody()], ['(body)']],
      ['a string', 'items', ['(body)']],
      ['an object without items', {}, ['items']],
      ['items that are not an array', { items: { 0: workoutBody() } }, ['items']],
      ['no items', { items: [] }, ['items']],
      ['a field beside items', { items: [workoutBody()], options: { delaySec: 5 } }, ['options']],
    ])('answers 400 for %s, naming the field', async (_, body, fields) => {
      const answer = await refused({ json: body }, 400);
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(fields);
    });

    it('answers 400 to an Idempotency-Key header: a key belongs to an item', async () => {
      const answer = await refused({ json: { items: [workoutBody()] }, headers: { 'Idempotency-Key': `batch-${randomUUID()}` } }, 400);
      expect(answer.body.errors).toEqual([{ field: 'Idempotency-Key', messages: [expect.stringContaining('options.idempotencyKey')] }]);
    });

    it('answers 400 for JSON that does not parse, and 415 without a JSON content type', async () => {
      await refused({ body: '{"items": [', headers: { 'content-type': 'application/json' } }, 400);
      await refused({ body: JSON.stringify({ items: [workoutBody()] }), headers: { 'content-type': 'text/plain' } }, 415);
    });

    it('answers 413 naming the limit for 501 items, and stores none of them', async () => {
      const answer = await refused({ json: { items: Array.from({ length: 501 }, () => workoutBody()) } }, 413);
      expect(answer.body).toMatchObject({ error: 'Payload Too Large', message: expect.stringMatching(/at most 500 items.*501/) });
    });

    it('answers 413 for a body over 5 MiB, and stores nothing', async () => {
      const items = Array.from({ length: 10 }, () => workoutBody({ notes: 'x'.repeat(600 * 1024) }));
      const body = JSON.stringify({ items });
      expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
      const answer = await refused({ body, headers: { 'content-type': 'application/json' } }, 413);
      expect(answer.body.message).toContain('5 MiB');
    });

    it('takes a batch over the single routes\' 1 MiB: 500 items with long notes', async () => {
      const userId = freshUser();
      // Scheduled an hour ahead: stored, and left alone by the workers while the suite runs.
      const items = Array.from({ length: 500 }, () => workoutBody({ userId, notes: 'n'.repeat(2000), options: { delaySec: 3600 } }));
      expect(JSON.stringify({ items }).length).toBeGreaterThan(1024 * 1024);
      const results = await submitBatch('/v1/workouts/batch', items);
      expect(results.filter((result) => result.status === 202)).toHaveLength(500);
      expect(await jobsOf(userId)).toBe(500);
    });
  });
});
