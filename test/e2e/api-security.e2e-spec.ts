/**
 * API keys, scopes, tenant isolation and rate limits, from the outside: real
 * processes, keys stored in the suite's database as `keys create` stores
 * them, requests over HTTP.
 */
import { randomUUID } from 'node:crypto';
import {
  afterApiHearsKeyChange,
  Baton,
  batonEnv,
  bearer,
  createTestBroker,
  createTestDatabase,
  describeWithRedis,
  invoiceBody,
  invoiceProfileBody,
  REDIS_URL,
  startApi,
  startBaton,
  storeApiKey,
  StoredKey,
  TEST_API_KEY,
  TestDatabase,
  TestSmtpServer,
  TestVhost,
  uniqueName,
  welcomeEmailBody,
  workoutBody,
} from '../support';
import { Answer, countRows, get, post, request, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

/** Every /v1 route, with a body where it takes one, and the scope it needs. */
const ROUTES = (ids: { job: string; workout: string; invoice: string }) => [
  { method: 'POST', path: '/v1/workouts', json: workoutBody(), scope: 'jobs:write' },
  { method: 'POST', path: '/v1/invoices', json: invoiceBody(), scope: 'jobs:write' },
  { method: 'POST', path: '/v1/emails', json: welcomeEmailBody(), scope: 'jobs:write' },
  { method: 'GET', path: `/v1/jobs/${ids.job}`, scope: 'jobs:read' },
  { method: 'GET', path: `/v1/workouts/${ids.workout}`, scope: 'jobs:read' },
  { method: 'GET', path: `/v1/invoices/${ids.invoice}`, scope: 'jobs:read' },
  { method: 'GET', path: `/v1/invoices/${ids.invoice}/pdf`, scope: 'jobs:read' },
  { method: 'PUT', path: '/v1/invoice-profile', json: invoiceProfileBody(), scope: 'admin' },
  { method: 'GET', path: '/v1/invoice-profile', scope: 'admin' },
  // Lists, answered for the caller's tenant alone: no id another tenant could probe.
  { method: 'GET', path: '/v1/webhook-endpoints', scope: 'admin', listing: true },
  { method: 'GET', path: '/v1/webhook-deliveries', scope: 'admin', listing: true },
];

function expectErrorBody(answer: Answer, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ statusCode: status, error: expect.any(String), message: expect.any(String), requestId: expect.any(String) });
  expect(answer.text).not.toMatch(/\bat .*\.js:\d+/);
}

describe('API security', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let smtp: TestSmtpServer | undefined;
  /** A completed workout job and a completed invoice job of tenant e2e (TEST_API_KEY's). */
  let owned: { job: string; workout: string; invoice: string; invoiceJob: string };
  let otherTenant: StoredKey;
  let reader: StoredKey;
  let writer: StoredKey;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_security'), createTestBroker('baton_e2e_security')]);
    [otherTenant, reader, writer] = await Promise.all([
      storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] }),
      storeApiKey(db.url, { scopes: ['jobs:read'] }),
      storeApiKey(db.url, { scopes: ['jobs:write'] }),
    ]);
    smtp = await TestSmtpServer.start();
    // Emails on, so that their route is checked like the others.
    baton = await startBaton({ ...batonEnv(db, vhost), LOG_LEVEL: 'debug', DISABLED_JOB_TYPES: '', SMTP_URL: smtp.url, MAIL_FROM: 'shop@example.com' });
    const workoutJob = await waitForJob(baton.api, (await post(baton.api.url, '/v1/workouts', workoutBody())).body.jobId);
    const invoiceJob = await waitForJob(baton.api, (await post(baton.api.url, '/v1/invoices', invoiceBody())).body.jobId);
    expect([workoutJob.status, invoiceJob.status]).toEqual(['completed', 'completed']);
    owned = { job: workoutJob.id, workout: String(workoutJob.result!.workoutId), invoice: String(invoiceJob.result!.invoiceId), invoiceJob: invoiceJob.id };
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop(), smtp?.close()]);
  }, 60_000);

  describe('authentication', () => {
    it('answers 401 with a Bearer challenge on every /v1 route without a key', async () => {
      for (const route of ROUTES(owned)) {
        const answer = await request(baton.api.url, route.method, route.path, { json: route.json, apiKey: null });
        expectErrorBody(answer, 401);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="baton"');
        expect(answer.body.message).toContain('Authorization: Bearer');
      }
    });

    it('answers 401 for another scheme, a malformed key and an unknown well-formed key', async () => {
      const unknown = `baton_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
      for (const authorization of [`Basic ${Buffer.from('e2e:secret').toString('base64')}`, 'Bearer', 'Bearer short', `Bearer ${TEST_API_KEY}x!`, `Bearer ${unknown}`]) {
        const answer = await get(baton.api.url, `/v1/jobs/${owned.job}`, { authorization });
        expectErrorBody(answer, 401);
      }
      const invalid = await get(baton.api.url, `/v1/jobs/${owned.job}`, bearer(unknown));
      expect(invalid.headers.get('www-authenticate')).toBe('Bearer realm="baton", error="invalid_token"');
    });

    it('authenticates before reading the body: no key and a malformed body is still a 401, and no job is created', async () => {
      const before = await countRows(db, 'SELECT count(*) FROM jobs');
      const answer = await request(baton.api.url, 'POST', '/v1/workouts', { body: '{"userId":', headers: { 'content-type': 'application/json' }, apiKey: null });
      expectErrorBody(answer, 401);
      expect(await countRows(db, 'SELECT count(*) FROM jobs')).toBe(before);
    });

    it('accepts the scheme in any case', async () => {
      const answer = await get(baton.api.url, `/v1/jobs/${owned.job}`, { authorization: `bearer ${TEST_API_KEY}` });
      expect(answer.status).toBe(200);
    });

    it('refuses a cached key as soon as the API has heard of its revocation', async () => {
      const key = await storeApiKey(db.url, { scopes: ['jobs:read'] });
      // The second request is served from the cache.
      for (let i = 0; i < 2; i++) expect((await get(baton.api.url, `/v1/jobs/${owned.job}`, bearer(key.key))).status).toBe(200);
      await afterApiHearsKeyChange(baton.api.url, () => db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [key.id]));
      const answer = await get(baton.api.url, `/v1/jobs/${owned.job}`, bearer(key.key));
      expectErrorBody(answer, 401);
      expect(answer.body.message).toBe('Invalid or revoked API key');
    });

    it('leaves health and metrics open for probes and scrapers', async () => {
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        expect({ path, status: (await request(baton.api.url, 'GET', path, { apiKey: null })).status }).toEqual({ path, status: 200 });
      }
    });
  });

  describe('scopes', () => {
    it('answers 403 naming the missing scope, and lets the right scope through', async () => {
      for (const route of ROUTES(owned)) {
        const denied = route.scope === 'jobs:write' ? reader : writer;
        const allowed = { 'jobs:write': writer, 'jobs:read': reader, admin: { key: TEST_API_KEY } }[route.scope]!;
        const refused = await request(baton.api.url, route.method, route.path, { json: route.json, apiKey: denied.key });
        expectErrorBody(refused, 403);
        expect(refused.body.message).toBe(`This API key lacks the ${route.scope} scope`);
        expect(refused.headers.get('www-authenticate')).toBe(`Bearer realm="baton", error="insufficient_scope", scope="${route.scope}"`);
        const granted = await request(baton.api.url, route.method, route.path, { json: route.json, apiKey: allowed.key });
        expect({ route: route.path, status: granted.status }).toEqual({ route: route.path, status: route.method === 'POST' ? 202 : 200 });
      }
    });

    it('creates no job for a key without jobs:write', async () => {
      const idempotencyKey = `e2e-${randomUUID()}`;
      const answer = await post(baton.api.url, '/v1/workouts', workoutBody(), { ...bearer(reader.key), 'Idempotency-Key': idempotencyKey });
      expect(answer.status).toBe(403);
      expect(await countRows(db, 'SELECT count(*) FROM jobs WHERE idempotency_key = $1', [idempotencyKey])).toBe(0);
    });
  });

  describe('tenant isolation', () => {
    it("answers another tenant's job, workout, invoice and PDF with the 404 of a resource that does not exist", async () => {
      const missing = { job: randomUUID(), workout: randomUUID(), invoice: randomUUID() };
      const reads = (ids: typeof owned | typeof missing) => ROUTES(ids).filter((route) => route.method === 'GET' && !('listing' in route));
      const foreign = await Promise.all(reads(owned).map((route) => get(baton.api.url, route.path, bearer(otherTenant.key))));
      const absent = await Promise.all(reads(missing).map((route) => get(baton.api.url, route.path, bearer(otherTenant.key))));
      for (const [index, answer] of foreign.entries()) {
        expectErrorBody(answer, 404);
        // Same words as for an id that never existed: nothing tells the two apart.
        const unknownId = Object.values(missing).find((id) => absent[index].body.message.includes(id))!;
        const knownId = Object.values(owned).find((id) => answer.body.message.includes(id))!;
        expect(answer.body.message.replace(knownId, '<id>')).toBe(absent[index].body.message.replace(unknownId, '<id>'));
      }
      // The owner still reads them all.
      for (const route of reads(owned)) expect((await get(baton.api.url, route.path)).status).toBe(200);
    });

    it('stores each job, workout and invoice under the tenant of the key that submitted it', async () => {
      const job = await waitForJob(baton.api, (await post(baton.api.url, '/v1/workouts', workoutBody(), bearer(otherTenant.key))).body.jobId, ['completed'], 20_000).catch(
        () => undefined,
      );
      // The submitting tenant reads it; the suite's own tenant (TEST_API_KEY) does not.
      expect(job).toBeUndefined();
      const [row] = await db.query<{ id: string; tenant: string; api_key_id: string }>(
        `SELECT id, tenant, api_key_id FROM jobs WHERE tenant = 'other-tenant' ORDER BY created_at DESC LIMIT 1`,
      );
      expect(row).toEqual({ id: expect.stringMatching(UUID_PATTERN), tenant: 'other-tenant', api_key_id: otherTenant.id });
      const seen = await get(baton.api.url, `/v1/jobs/${row.id}`, bearer(otherTenant.key));
      expect(seen.status).toBe(200);
      const completed = await waitForTenantJob(row.id, otherTenant.key);
      const [workout] = await db.query<{ tenant: string }>(`SELECT tenant FROM workouts WHERE id = $1`, [completed.result.workoutId]);
      expect(workout.tenant).toBe('other-tenant');
      expect((await get(baton.api.url, `/v1/workouts/${completed.result.workoutId}`)).status).toBe(404);
      const [invoice] = await db.query<{ tenant: string }>(`SELECT tenant FROM invoices WHERE id = $1`, [owned.invoice]);
      expect(invoice.tenant).toBe('e2e');
    });

    it('keeps idempotency keys per tenant: one key in two tenants makes two jobs, and is no conflict', async () => {
      const idempotencyKey = `shared-${randomUUID()}`;
      const ours = await post(baton.api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
      const theirs = await post(baton.api.url, '/v1/workouts', workoutBody({ notes: 'another body' }), { ...bearer(otherTenant.key), 'Idempotency-Key': idempotencyKey });
      expect([ours.status, theirs.status]).toEqual([202, 202]);
      expect(theirs.body.jobId).not.toBe(ours.body.jobId);
      // Each tenant's replay finds its own job.
      const ourReplay = await post(baton.api.url, '/v1/workouts', workoutBody(), { 'Idempotency-Key': idempotencyKey });
      const theirReplay = await post(baton.api.url, '/v1/workouts', workoutBody({ notes: 'another body' }), { ...bearer(otherTenant.key), 'Idempotency-Key': idempotencyKey });
      expect([ourReplay.status, ourReplay.body.jobId]).toEqual([200, ours.body.jobId]);
      expect([theirReplay.status, theirReplay.body.jobId]).toEqual([200, theirs.body.jobId]);
      // Within one tenant, another body with the key is still a conflict.
      expect((await post(baton.api.url, '/v1/workouts', workoutBody({ notes: 'changed' }), { 'Idempotency-Key': idempotencyKey })).status).toBe(409);
      expect(await countRows(db, 'SELECT count(*) FROM jobs WHERE idempotency_key = $1', [idempotencyKey])).toBe(2);
    });
  });

  describe('secrets', () => {
    it('never writes a key to the logs or into an error body, even at debug level', async () => {
      const unknown = `baton_${'x'.repeat(43)}`;
      const answers = [
        await get(baton.api.url, `/v1/jobs/${randomUUID()}`),
        await get(baton.api.url, `/v1/jobs/${owned.job}`, bearer(unknown)),
        await post(baton.api.url, '/v1/workouts', { userId: 7 }),
        await post(baton.api.url, '/v1/workouts', workoutBody(), bearer(reader.key)),
      ];
      for (const answer of answers) {
        for (const key of [TEST_API_KEY, unknown, reader.key]) expect(answer.text).not.toContain(key);
      }
      const logs = baton.processes.map((process) => process.logs).join('\n');
      expect(logs).toContain('"tenant":"e2e"');
      for (const key of [TEST_API_KEY, unknown, reader.key, writer.key, otherTenant.key]) expect(logs).not.toContain(key);
      for (const key of [TEST_API_KEY, reader.key, otherTenant.key]) expect(logs).not.toContain(key.slice(6));
    });

    it('stores keys only as their SHA-256', async () => {
      const rows = await db.query<Record<string, unknown>>(`SELECT * FROM api_keys`);
      const stored = JSON.stringify(rows);
      for (const key of [TEST_API_KEY, reader.key, writer.key, otherTenant.key]) expect(stored).not.toContain(key.slice(12));
    });
  });

  async function waitForTenantJob(jobId: string, key: string): Promise<any> {
    const { waitFor } = await import('../support');
    return waitFor(
      `job ${jobId} to complete`,
      async () => {
        const answer = await get(baton.api.url, `/v1/jobs/${jobId}`, bearer(key));
        return answer.body?.status === 'completed' ? answer.body : undefined;
      },
      20_000,
      50,
    );
  }
});

describe('rate limits', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_rate'), createTestBroker('baton_e2e_rate')]);
    baton = await startBaton({ ...batonEnv(db, vhost), RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' }, { workers: [] });
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  it('answers 429 with Retry-After past the budget, with RateLimit headers on every answer, per key', async () => {
    const key = await storeApiKey(db.url, { scopes: ['jobs:read'] });
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await get(baton.api.url, `/v1/jobs/${randomUUID()}`, bearer(key.key)));
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 429]);
    expect(answers.map((answer) => answer.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    for (const answer of answers) expect(answer.headers.get('ratelimit-limit')).toBe('3');
    const limited = answers[3];
    expectErrorBody(limited, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);

    // Another key has a budget of its own.
    const other = await storeApiKey(db.url, { scopes: ['jobs:read'] });
    expect((await get(baton.api.url, `/v1/jobs/${randomUUID()}`, bearer(other.key))).status).toBe(404);
  });

  it('counts a limited key out before any work: a 429 creates no job', async () => {
    const key = await storeApiKey(db.url, { scopes: ['jobs:write'] });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(baton.api.url, '/v1/workouts', workoutBody({ userId: `limited-${key.id}` }), bearer(key.key))).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(await countRows(db, `SELECT count(*) FROM jobs WHERE payload->>'userId' = $1`, [`limited-${key.id}`])).toBe(3);
  });

  it('limits requests without a key by client address, and never health or metrics', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(baton.api.url, 'GET', `/v1/jobs/${randomUUID()}`, { apiKey: null })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    for (let i = 0; i < 5; i++) expect((await request(baton.api.url, 'GET', '/metrics', { apiKey: null })).status).toBe(200);
  });
});

describeWithRedis('two API processes need RabbitMQ and Redis', 'a rate limit shared through Redis', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let apis: Baton['processes'] = [];

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_rate_redis'), createTestBroker('baton_e2e_rate_redis')]);
    const env = { ...batonEnv(db, vhost), RATE_LIMIT_MAX: '6', RATE_LIMIT_WINDOW_MS: '60000', REDIS_URL };
    apis = await Promise.all([startApi(env), startApi(env)]);
  }, 90_000);

  afterAll(async () => {
    await stopAll(apis);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  it('gives one key one budget across two API processes', async () => {
    const key = await storeApiKey(db.url, { scopes: ['jobs:read'], tenant: uniqueName('t').replace(/_/g, '-') });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(apis[i % 2].url, `/v1/jobs/${randomUUID()}`, bearer(key.key))).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 429, 429]);
  });

  it('lets requests through, unlimited, while Redis is unreachable, and says so in the log', async () => {
    const env = { ...batonEnv(db, vhost), RATE_LIMIT_MAX: '1', REDIS_URL: 'redis://:redis-secret-pw@127.0.0.1:1' };
    const api = await startApi(env);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(api.url, `/v1/jobs/${randomUUID()}`)).status);
      expect(statuses).toEqual([404, 404, 404]);
      expect(api.logs).toContain('Redis unreachable');
      expect(api.logs).not.toContain('redis-secret-pw');
    } finally {
      await stopAll([api]);
    }
  });
});
