/**
 * Whatever a client sends, the API answers with the right 4xx and records no
 * job: validation, unknown fields, broken JSON, prototype pollution, wrong
 * media types, oversized bodies, bad Idempotency-Keys, unsafe totals.
 */
import { batonEnv, BatonProcess, createTestBroker, createTestDatabase, invoiceBody, startBaton, TestDatabase, TestVhost, workoutBody } from '../support';
import { Answer, countRows, get, post, request, RequestOptions, stopAll } from './e2e-support';

/** One wrong field: the field the answer must name, the overrides of a valid body, a label for the test name. */
type FieldCase = [field: string, overrides: Record<string, unknown>, label?: string];
const labelled = (cases: FieldCase[]) => cases.map(([field, overrides, label]) => [field, label ?? JSON.stringify(overrides), overrides] as const);

const WORKOUT_FIELD_CASES = labelled([
  ['durationSec', { durationSec: 0 }],
  ['durationSec', { durationSec: 86_401 }],
  ['durationSec', { durationSec: 1.5 }],
  ['durationSec', { durationSec: '60' }],
  ['userId', { userId: 'u'.repeat(65) }, '65 characters'],
  ['userId', { userId: undefined }, 'missing'],
  ['calories', { calories: -1 }],
  ['sets', { sets: 'none' }],
  ['sets', { sets: Array.from({ length: 501 }, () => ({ exercise: 'x', reps: 1 })) }, '501 sets'],
  ['sets.0.reps', { sets: [{ exercise: 'squat', reps: 1001 }] }],
  ['startedAt', { startedAt: '2026-11-20T07:30:00' }, 'no time zone'],
  ['startedAt', { startedAt: '2026-02-30T07:30:00Z' }, '30 February'],
  ['startedAt', { startedAt: '0000-01-01T00:00:00Z' }, 'year 0, which PostgreSQL cannot store'],
  ['calories', { calories: 2_147_483_648 }, 'beyond a PostgreSQL integer'],
]);

const INVOICE_FIELD_CASES = labelled([
  ['lines', { lines: [] }],
  ['lines', { lines: Array.from({ length: 201 }, () => ({ description: 'x', quantity: 1, unitPriceCents: 1 })) }, '201 lines'],
  ['lines.0.unitPriceCents', { lines: [{ description: 'x', quantity: 1, unitPriceCents: 9.99 }] }],
  ['customer', { customer: undefined }, 'missing'],
  ['customer.name', { customer: { email: 'ada@example.com' } }],
  ['taxRatePercent', { taxRatePercent: 7.12345 }],
  ['issuedAt', { issuedAt: '20/11/2026' }],
  ['orderId', { orderId: '' }],
  ['currency', { currency: 'eur' }, 'lower case'],
  ['issuedAt', { issuedAt: '2026-02-30' }, '30 February'],
]);

describe('bad input: the right status and no job', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let api: BatonProcess;
  const statuses: number[] = [];

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_bad_input'), createTestBroker('baton_e2e_bad_input')]);
    // The API alone (in embedded mode the standalone process, which is API and worker).
    ({ api } = await startBaton(batonEnv(db, vhost), { workers: [] }));
  });

  afterAll(async () => {
    const exits = await stopAll([api]);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  const jobCount = () => countRows(db, 'SELECT count(*) FROM jobs');

  /** Sends a request that must be refused: checks the status, that no job row appeared, and that it is no 5xx. */
  async function refused(path: string, options: RequestOptions, status: number): Promise<Answer> {
    const before = await jobCount();
    const answer = await request(api.url, 'POST', path, options);
    statuses.push(answer.status);
    expect({ status: answer.status, body: answer.text.slice(0, 500) }).toEqual({ status, body: expect.any(String) });
    expect(await jobCount()).toBe(before);
    return answer;
  }

  const fieldsOf = (answer: Answer) => (answer.body?.errors ?? []).map((error: { field: string }) => error.field).sort();

  describe('validation', () => {
    it('names each wrong workout field, top level and nested', async () => {
      const answer = await refused(
        '/v1/workouts',
        {
          json: workoutBody({
            durationSec: -5,
            activity: 'karate',
            startedAt: 'yesterday',
            sets: [{ exercise: 'squat', reps: 0 }, { exercise: '', reps: 5, weightKg: -1 }],
          }),
        },
        400,
      );
      expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(fieldsOf(answer)).toEqual(['activity', 'durationSec', 'sets.0.reps', 'sets.1.exercise', 'sets.1.weightKg', 'startedAt']);
      for (const error of answer.body.errors) expect(error.messages.length).toBeGreaterThan(0);
      expect(answer.body.message).toContain('durationSec');
    });

    it.each(WORKOUT_FIELD_CASES)('refuses a workout with a wrong %s (%s)', async (field, _, overrides) => {
      const answer = await refused('/v1/workouts', { json: workoutBody(overrides) }, 400);
      expect(fieldsOf(answer)).toEqual([field]);
    });

    it('names each wrong invoice field, top level and nested', async () => {
      const answer = await refused(
        '/v1/invoices',
        {
          json: invoiceBody({
            customer: { name: 'Ada', email: 'not-an-email' },
            currency: 'EURO',
            lines: [{ description: 'x', quantity: 1, unitPriceCents: -1 }, { description: 'y', quantity: 0, unitPriceCents: 5 }],
            taxRatePercent: 101,
          }),
        },
        400,
      );
      expect(fieldsOf(answer)).toEqual(['currency', 'customer.email', 'lines.0.unitPriceCents', 'lines.1.quantity', 'taxRatePercent']);
    });

    it.each(INVOICE_FIELD_CASES)('refuses an invoice with a wrong %s (%s)', async (field, _, overrides) => {
      const answer = await refused('/v1/invoices', { json: invoiceBody(overrides) }, 400);
      expect(fieldsOf(answer)).toEqual([field]);
    });

    it('refuses an invoice whose total would exceed Number.MAX_SAFE_INTEGER cents', async () => {
      // 91 lines of 100,000 x 1,000,000,000 cents: 9.1e15 > 2^53 - 1 (each line is within its own limits).
      const lines = Array.from({ length: 91 }, () => ({ description: 'big', quantity: 100_000, unitPriceCents: 1_000_000_000 }));
      const answer = await refused('/v1/invoices', { json: invoiceBody({ lines, taxRatePercent: 0 }) }, 400);
      expect(fieldsOf(answer)).toEqual(['lines']);
      expect(JSON.stringify(answer.body.errors)).toContain(String(Number.MAX_SAFE_INTEGER));
    });

    it('refuses an invoice whose tax pushes the total over Number.MAX_SAFE_INTEGER cents', async () => {
      // 90 lines: 9.0e15, under the limit; 1 % tax makes it 9.09e15, over it.
      const lines = Array.from({ length: 90 }, () => ({ description: 'big', quantity: 100_000, unitPriceCents: 1_000_000_000 }));
      const answer = await refused('/v1/invoices', { json: invoiceBody({ lines, taxRatePercent: 1 }) }, 400);
      expect(fieldsOf(answer)).toEqual(['lines']);
    });
  });

  describe('unknown fields', () => {
    it('refuses an unknown top-level field, naming it', async () => {
      const answer = await refused('/v1/workouts', { json: workoutBody({ isAdmin: true }) }, 400);
      expect(answer.body.errors).toEqual([{ field: 'isAdmin', messages: ['is not allowed'] }]);
    });

    it('refuses an unknown field in a set, naming its path', async () => {
      const answer = await refused('/v1/workouts', { json: workoutBody({ sets: [{ exercise: 'squat', reps: 5, tempo: '3-1-1' }] }) }, 400);
      expect(fieldsOf(answer)).toEqual(['sets.0.tempo']);
    });

    it('refuses unknown fields in an invoice customer and line, naming their paths', async () => {
      const answer = await refused(
        '/v1/invoices',
        {
          json: invoiceBody({
            customer: { name: 'Ada', email: 'ada@example.com', vip: true },
            lines: [{ description: 'x', quantity: 1, unitPriceCents: 5, discount: 1 }],
            total: 1,
          }),
        },
        400,
      );
      expect(fieldsOf(answer)).toEqual(['customer.vip', 'lines.0.discount', 'total']);
    });
  });

  describe('bodies that are not a JSON object', () => {
    it.each([
      ['malformed JSON', '{"userId": "u1", activity: strength}'],
      ['truncated JSON', JSON.stringify(workoutBody()).slice(0, 40)],
      ['a trailing comma', '{"userId": "u1",}'],
      ['two JSON values', '{} {}'],
    ])('answers 400 for %s', async (_, body) => {
      const answer = await refused('/v1/workouts', { body, headers: { 'content-type': 'application/json' } }, 400);
      expect(answer.body).toMatchObject({ statusCode: 400 });
    });

    it.each([
      ['__proto__ at the top', `{"__proto__": {"isAdmin": true}, ${JSON.stringify(workoutBody()).slice(1)}`],
      ['__proto__ in a set', JSON.stringify(workoutBody()).replace('"reps":5', '"reps":5,"__proto__":{"polluted":1}')],
      ['constructor.prototype', `{"constructor": {"prototype": {"isAdmin": true}}, ${JSON.stringify(workoutBody()).slice(1)}`],
    ])('answers 400 for %s', async (_, body) => {
      expect(body).toMatch(/__proto__|constructor/);
      const answer = await refused('/v1/workouts', { body, headers: { 'content-type': 'application/json' } }, 400);
      expect(answer.body).toMatchObject({ statusCode: 400 });
    });

    it.each([
      ['a JSON array', '[]'],
      ['an array of a valid body', JSON.stringify([workoutBody()])],
      ['a JSON string', '"hello"'],
      ['a JSON number', '42'],
      ['JSON true', 'true'],
      ['JSON null', 'null'],
    ])('answers 400 for %s', async (_, body) => {
      const answer = await refused('/v1/workouts', { body, headers: { 'content-type': 'application/json' } }, 400);
      expect(answer.body).toMatchObject({ statusCode: 400 });
    });

    it('answers 400 for an empty body sent as application/json', async () => {
      await refused('/v1/workouts', { body: '', headers: { 'content-type': 'application/json' } }, 400);
      await refused('/v1/invoices', { body: '', headers: { 'content-type': 'application/json' } }, 400);
    });
  });

  describe('values PostgreSQL could never store', () => {
    /** A valid body as JSON text with `text` (JSON escapes included) in place of the notes "leg day". */
    const workoutWithNotes = (text: string) => JSON.stringify(workoutBody()).replace('"leg day"', text);

    it.each([
      ['notes', { notes: 'a\u0000b' }],
      ['sets.1.exercise', { sets: [{ exercise: 'squat', reps: 5 }, { exercise: 'lunge\u0000', reps: 5 }] }],
    ])('refuses a NUL character in %s, naming it', async (field, overrides) => {
      const answer = await refused('/v1/workouts', { json: workoutBody(overrides) }, 400);
      expect(fieldsOf(answer)).toEqual([field]);
    });

    it('refuses a NUL character in an invoice customer name, naming it', async () => {
      const answer = await refused('/v1/invoices', { json: invoiceBody({ customer: { name: 'Ada\u0000', email: 'ada@example.com' } }) }, 400);
      expect(fieldsOf(answer)).toEqual(['customer.name']);
    });

    // JSON may carry a lone UTF-16 surrogate ("\ud800"); PostgreSQL's jsonb and
    // text cannot: such a body must be a 400, not a failed insert.
    it.each([
      ['a high surrogate', '"a\\ud800b"'],
      ['a low surrogate', '"\\udc00"'],
      ['a reversed pair', '"\\udc00\\ud800"'],
    ])('refuses notes with %s (no pair), naming the field', async (_, notes) => {
      const answer = await refused('/v1/workouts', { body: workoutWithNotes(notes), headers: { 'content-type': 'application/json' } }, 400);
      expect(fieldsOf(answer)).toEqual(['notes']);
    });

    it('refuses a lone surrogate in a nested invoice field, naming it', async () => {
      const body = JSON.stringify(invoiceBody()).replace('"12 Analytical Row, London"', '"12 Analytical Row \\udbff"');
      expect(body).toContain('\\udbff');
      const answer = await refused('/v1/invoices', { body, headers: { 'content-type': 'application/json' } }, 400);
      expect(fieldsOf(answer)).toEqual(['customer.address']);
    });

    it('takes a proper surrogate pair (an emoji written as a JSON escape)', async () => {
      const before = await jobCount();
      const answer = await request(api.url, 'POST', '/v1/workouts', { body: workoutWithNotes('"strong \\ud83d\\udcaa"'), headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(202);
      expect(await jobCount()).toBe(before + 1);
      const [row] = await db.query<{ notes: string }>(`SELECT payload->>'notes' AS notes FROM jobs WHERE id = $1`, [answer.body.jobId]);
      expect(row.notes).toBe('strong 💪');
      await db.query('DELETE FROM jobs WHERE id = $1', [answer.body.jobId]);
    });
  });

  describe('deeply nested JSON', () => {
    // Far below the 1 MiB limit: 3000 levels are 15 KB of JSON.
    const nestedObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const nestedArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const json = JSON.stringify(workoutBody());

    it.each([
      ['an object 3000 levels deep in notes', 'notes', json.replace('"leg day"', nestedObject(3000))],
      ['an array 3000 levels deep in notes', 'notes', json.replace('"leg day"', nestedArray(3000))],
      ['an array 20000 levels deep in an unknown field', 'extra', `${json.slice(0, -1)},"extra":${nestedArray(20_000)}}`],
      ['an array 20000 levels deep as the sets', 'sets', json.replace(/"sets":\[.*\]/, `"sets":${nestedArray(20_000)}`)],
    ])('answers 400 for %s, never 500', async (_, __, body) => {
      expect(body.length).toBeLessThan(1024 * 1024);
      const answer = await refused('/v1/workouts', { body, headers: { 'content-type': 'application/json' } }, 400);
      expect(answer.body).toMatchObject({ statusCode: 400 });
    });
  });

  describe('media types', () => {
    const json = JSON.stringify(workoutBody());

    it.each([
      ['text/plain', 'text/plain'],
      ['text/plain with a charset', 'text/plain; charset=utf-8'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['XML', 'application/xml'],
      ['multipart', 'multipart/form-data; boundary=xyz'],
      ['an octet stream', 'application/octet-stream'],
    ])('answers 415 for a JSON body sent as %s', async (_, contentType) => {
      const answer = await refused('/v1/workouts', { body: json, headers: { 'content-type': contentType } }, 415);
      expect(answer.body).toMatchObject({ statusCode: 415 });
      await refused('/v1/invoices', { body: JSON.stringify(invoiceBody()), headers: { 'content-type': contentType } }, 415);
    });

    it('answers 415 for a body without a Content-Type', async () => {
      // A Uint8Array body: fetch adds no Content-Type of its own.
      const answer = await refused('/v1/workouts', { body: new TextEncoder().encode(json) }, 415);
      expect(answer.body).toMatchObject({ statusCode: 415 });
    });

    it('answers 415 for a POST with neither body nor Content-Type', async () => {
      await refused('/v1/workouts', {}, 415);
    });
  });

  describe('sizes', () => {
    it('answers 413 for a body over 1 MiB', async () => {
      const body = JSON.stringify(workoutBody({ notes: 'x'.repeat(1024 * 1024 + 10) }));
      expect(body.length).toBeGreaterThan(1024 * 1024);
      await refused('/v1/workouts', { body, headers: { 'content-type': 'application/json' } }, 413);
    });

    it('answers 413 for an over-sized body even when it is not valid JSON', async () => {
      await refused('/v1/invoices', { body: '['.repeat(1024 * 1024 + 1), headers: { 'content-type': 'application/json' } }, 413);
    });

    it('answers 413 to clients still sending bodies of many MiB, on a connection kept open, never a reset', async () => {
      // The answer comes before the body has arrived; a server that closed the
      // connection then would fail the clients' writes (EPIPE) before they read it.
      const body = 'x'.repeat(16 * 1024 * 1024);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => request(api.url, 'POST', '/v1/workouts', { body, headers: { 'content-type': 'application/json' } }).catch((error: Error) => error)),
      );
      expect(answers.map((answer) => (answer instanceof Error ? `${answer.message}: ${(answer as Error & { cause?: Error }).cause?.message}` : answer.status))).toEqual(Array(8).fill(413));
      for (const answer of answers as Answer[]) expect(answer.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large', requestId: expect.any(String) });
    });
  });

  describe('Idempotency-Key', () => {
    it.each([
      ['256 characters', 'k'.repeat(256)],
      ['an empty key', ''],
      ['a control character', 'abc\tdef'],
      ['a non-ASCII character', 'clé'],
    ])('answers 400 for %s, naming the header', async (_, key) => {
      const answer = await refused('/v1/workouts', { json: workoutBody(), headers: { 'Idempotency-Key': key } }, 400);
      expect(answer.body.errors).toEqual([{ field: 'Idempotency-Key', messages: [expect.any(String)] }]);
    });

    it('answers 400 for a key that is too long on an invoice too', async () => {
      const answer = await refused('/v1/invoices', { json: invoiceBody(), headers: { 'Idempotency-Key': 'k'.repeat(256) } }, 400);
      expect(fieldsOf(answer)).toEqual(['Idempotency-Key']);
    });
  });

  describe('afterwards', () => {
    it('answered no 5xx, created no job at all, and the API is still ready', async () => {
      expect(statuses.length).toBeGreaterThan(40);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect(await jobCount()).toBe(0);
      expect((await get(api.url, '/health/ready')).status).toBe(200);
    });

    it('still accepts a valid workout and invoice, which do create jobs (so the counting above is meaningful)', async () => {
      expect((await post(api.url, '/v1/workouts', workoutBody())).status).toBe(202);
      expect((await post(api.url, '/v1/invoices', invoiceBody(), { 'Idempotency-Key': 'k'.repeat(255) })).status).toBe(202);
      expect(await jobCount()).toBe(2);
    });
  });
});
