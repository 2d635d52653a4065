/**
 * The dashboard's HTTP side, without a browser: signing in with a key for a
 * session cookie, the cookie's attributes, CSRF, tenant isolation, an
 * operator's reach across tenants, revocation and sign-out, the pages' own
 * CSP, and the read-only switch. In services mode an API and a worker on
 * PostgreSQL and RabbitMQ; in embedded mode the standalone process
 * (`npm start`). The browser's view of the same is test/e2e/dashboard.e2e-spec.ts.
 */
import { randomUUID } from 'node:crypto';
import { Baton, batonEnv, bearer, createTestBroker, createTestDatabase, startBaton, storeApiKey, StoredKey, TestDatabase, testMode, TestVhost, workoutBody } from '../support';
import { Answer, installPoison, post, request, setPoison, stopAll, waitForJob } from './e2e-support';

/** A signed-in browser, as far as HTTP goes: its cookie and its CSRF token. */
interface Session {
  cookie: string;
  csrfToken: string;
  body: Record<string, unknown>;
  setCookie: string;
}

describe('the dashboard over HTTP', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let admin: StoredKey;
  let otherAdmin: StoredKey;
  let operator: StoredKey;
  let reader: StoredKey;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_dashboard_api'), createTestBroker('baton_e2e_dashboard_api')]);
    await installPoison(db);
    [admin, otherAdmin, operator, reader] = await Promise.all([
      storeApiKey(db.url, { tenant: 'acme', scopes: ['admin'] }),
      storeApiKey(db.url, { tenant: 'globex', scopes: ['admin'] }),
      storeApiKey(db.url, { tenant: 'ops', scopes: ['operator'] }),
      storeApiKey(db.url, { tenant: 'acme', scopes: ['jobs:read', 'jobs:write'] }),
    ]);
    baton = await startBaton({ ...batonEnv(db, vhost), JOB_MAX_ATTEMPTS: '1' });
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  async function signIn(key: StoredKey): Promise<Session> {
    const answer = await post(baton.api.url, '/dashboard/api/session', { apiKey: key.key });
    expect(answer.status).toBe(200);
    const setCookie = answer.headers.get('set-cookie') ?? '';
    return { cookie: setCookie.split(';')[0], csrfToken: answer.body.csrfToken, body: answer.body, setCookie };
  }

  /** A request from the signed-in browser: its cookie, and its CSRF token on a state change unless `csrf` says otherwise. */
  function asSession(session: Session, method: string, path: string, options: { json?: unknown; csrf?: string | null } = {}): Promise<Answer> {
    const headers: Record<string, string> = { cookie: session.cookie };
    const csrf = options.csrf === undefined ? session.csrfToken : options.csrf;
    if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf;
    return request(baton.api.url, method, path, { apiKey: null, headers, json: options.json });
  }

  async function workout(key: StoredKey, fields: Record<string, unknown> = {}): Promise<string> {
    const answer = await post(baton.api.url, '/v1/workouts', workoutBody(fields), bearer(key.key));
    expect(answer.status).toBe(202);
    return answer.body.jobId;
  }

  async function deadWorkout(key: StoredKey): Promise<string> {
    await setPoison(db, true);
    try {
      const id = await workout(key, { userId: `poison-${randomUUID().slice(0, 8)}` });
      expect((await waitForJob(baton.api, id, ['dead', 'completed'], 20_000, key.key)).status).toBe('dead');
      return id;
    } finally {
      await setPoison(db, false);
    }
  }

  describe('signing in', () => {
    it('exchanges an admin key for an HttpOnly, SameSite=Strict session cookie on /dashboard, Secure outside npm start', async () => {
      const session = await signIn(admin);
      expect(session.body).toEqual({
        tenant: 'acme',
        keyId: admin.id,
        scopes: ['admin'],
        operator: false,
        readOnly: false,
        csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: expect.any(String),
      });
      const attributes = session.setCookie.split(';').map((part) => part.trim());
      expect(attributes[0]).toMatch(/^baton_dashboard=[A-Za-z0-9_-]{43}$/);
      expect(attributes).toEqual(expect.arrayContaining(['Path=/dashboard', 'HttpOnly', 'SameSite=Strict', 'Max-Age=28800']));
      // The standalone process (embedded mode) is the development one, on plain HTTP.
      expect(attributes.includes('Secure')).toBe(testMode() === 'services');
      // Neither the key nor the session token is in the body.
      expect(JSON.stringify(session.body)).not.toContain(admin.key);
      expect(JSON.stringify(session.body)).not.toContain(session.cookie.split('=')[1]);
    });

    it('refuses an unknown key (401), a key without admin or operator (403), and a body without a key (400 naming it)', async () => {
      expect((await post(baton.api.url, '/dashboard/api/session', { apiKey: `baton_${'x'.repeat(43)}` })).status).toBe(401);
      const narrow = await post(baton.api.url, '/dashboard/api/session', { apiKey: reader.key });
      expect(narrow.status).toBe(403);
      expect(narrow.headers.get('set-cookie')).toBeNull();
      const empty = await post(baton.api.url, '/dashboard/api/session', {});
      expect(empty.status).toBe(400);
      expect(empty.body.errors).toEqual([expect.objectContaining({ field: 'apiKey' })]);
    });

    it('answers 401 to every dashboard route without a session, and the cookie opens nothing under /v1', async () => {
      for (const path of ['/dashboard/api/session', '/dashboard/api/overview', '/dashboard/api/jobs', '/dashboard/api/schedules']) {
        expect((await request(baton.api.url, 'GET', path, { apiKey: null })).status).toBe(401);
      }
      const session = await signIn(admin);
      expect((await request(baton.api.url, 'GET', '/v1/jobs', { apiKey: null, headers: { cookie: session.cookie } })).status).toBe(401);
      expect((await request(baton.api.url, 'GET', '/dashboard/api/session', { apiKey: null, headers: { cookie: 'baton_dashboard=forged' } })).status).toBe(401);
    });

    it('ends the session at sign-out (which itself needs the CSRF token) and when its key is revoked', async () => {
      const session = await signIn(admin);
      expect((await asSession(session, 'DELETE', '/dashboard/api/session', { csrf: null })).status).toBe(403);
      const out = await asSession(session, 'DELETE', '/dashboard/api/session');
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/^baton_dashboard=; Path=\/dashboard; Max-Age=0/);
      expect((await asSession(session, 'GET', '/dashboard/api/session')).status).toBe(401);

      const revocable = await storeApiKey(db.url, { tenant: 'acme', scopes: ['admin'] });
      const live = await signIn(revocable);
      expect((await asSession(live, 'GET', '/dashboard/api/overview')).status).toBe(200);
      await db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [revocable.id]);
      expect((await asSession(live, 'GET', '/dashboard/api/overview')).status).toBe(401);
    });
  });

  describe('state changes', () => {
    it("refuse a request without the session's X-CSRF-Token, or with another session's", async () => {
      const [session, other] = await Promise.all([signIn(admin), signIn(admin)]);
      const dryRun = { dryRun: true };
      expect((await asSession(session, 'POST', '/dashboard/api/jobs/retry-dead', { json: dryRun, csrf: null })).status).toBe(403);
      const forged = await asSession(session, 'POST', '/dashboard/api/jobs/retry-dead', { json: dryRun, csrf: other.csrfToken });
      expect(forged.status).toBe(403);
      expect(forged.body.message).toContain('X-CSRF-Token');
      expect((await asSession(session, 'POST', '/dashboard/api/jobs/retry-dead', { json: dryRun })).body).toEqual({ retried: 0, wouldRetry: expect.any(Number) });
    });

    it('keep the scopes of the /v1 routes: pause and purge are for operators', async () => {
      const session = await signIn(admin);
      expect((await asSession(session, 'POST', '/dashboard/api/queues/workouts/pause')).status).toBe(403);
      expect((await asSession(session, 'POST', '/dashboard/api/queues/workouts/dead-letters/purge')).status).toBe(403);
      const ops = await signIn(operator);
      expect((await asSession(ops, 'POST', '/dashboard/api/queues/workouts/pause')).body).toEqual({ queue: 'workouts', paused: true, pausedAt: expect.any(String) });
      expect((await asSession(ops, 'GET', '/dashboard/api/overview')).body.queues).toContainEqual(expect.objectContaining({ queue: 'workouts', paused: true }));
      expect((await asSession(ops, 'POST', '/dashboard/api/queues/workouts/resume')).body).toEqual({ queue: 'workouts', paused: false, pausedAt: null });
      expect((await asSession(ops, 'POST', '/dashboard/api/queues/no-such/pause')).status).toBe(404);
    });
  });

  describe('tenants', () => {
    it("never shows an admin another tenant's jobs: not in the list, the detail, a search or the counts", async () => {
      const mine = await workout(admin, { userId: 'tenant-check' });
      const theirs = await workout(otherAdmin, { userId: 'tenant-check' });
      await Promise.all([waitForJob(baton.api, mine, undefined, 20_000, admin.key), waitForJob(baton.api, theirs, undefined, 20_000, otherAdmin.key)]);
      const session = await signIn(admin);

      const listed = (await asSession(session, 'GET', '/dashboard/api/jobs?limit=100')).body.jobs.map((job: { id: string }) => job.id);
      expect(listed).toContain(mine);
      expect(listed).not.toContain(theirs);
      expect((await asSession(session, 'GET', `/dashboard/api/jobs/${theirs}`)).status).toBe(404);
      expect((await asSession(session, 'GET', `/dashboard/api/jobs/${theirs}/workout`)).status).toBe(404);
      expect((await asSession(session, 'POST', `/dashboard/api/jobs/${theirs}/cancel`)).status).toBe(404);
      expect((await asSession(session, 'GET', '/dashboard/api/jobs?tenant=globex')).status).toBe(403);

      const ops = await signIn(operator);
      const all = (await asSession(ops, 'GET', '/dashboard/api/jobs?limit=100')).body.jobs.map((job: { id: string }) => job.id);
      expect(all).toEqual(expect.arrayContaining([mine, theirs]));
      const globex = (await asSession(ops, 'GET', '/dashboard/api/jobs?tenant=globex&limit=100')).body.jobs;
      expect(globex.map((job: { tenant: string }) => job.tenant)).toEqual(globex.map(() => 'globex'));
      expect((await asSession(ops, 'GET', `/dashboard/api/jobs/${theirs}`)).body.tenant).toBe('globex');
    });

    it("lets an operator retry another tenant's dead job, which then completes; an admin gets 404 for it", async () => {
      const dead = await deadWorkout(otherAdmin);
      expect((await asSession(await signIn(admin), 'POST', `/dashboard/api/jobs/${dead}/retry`)).status).toBe(404);
      const detail = await asSession(await signIn(operator), 'GET', `/dashboard/api/jobs/${dead}`);
      expect(detail.body.job).toMatchObject({ id: dead, status: 'dead', errors: [expect.objectContaining({ attempt: 1, message: expect.any(String), stack: expect.any(String) })] });

      const retried = await asSession(await signIn(operator), 'POST', `/dashboard/api/jobs/${dead}/retry`);
      expect(retried.status).toBe(202);
      expect(retried.body).toEqual({ jobId: dead, status: 'queued', statusUrl: `/v1/jobs/${dead}` });
      expect((await waitForJob(baton.api, dead, undefined, 20_000, otherAdmin.key)).status).toBe('completed');
      const completed = (await asSession(await signIn(otherAdmin), 'GET', `/dashboard/api/jobs/${dead}`)).body;
      expect(completed.links).toEqual({ workout: `/dashboard/api/jobs/${dead}/workout` });
      expect((await asSession(await signIn(otherAdmin), 'GET', completed.links.workout)).body).toMatchObject({ userId: expect.stringMatching(/^poison-/) });
    });
  });

  describe('search', () => {
    it("finds the tenant's jobs by correlation id, idempotency key, job id and payload field, never another tenant's", async () => {
      const requestId = `req-${randomUUID()}`;
      const byRequest = await post(baton.api.url, '/v1/workouts', workoutBody({ userId: 'searched-user' }), { ...bearer(admin.key), 'x-request-id': requestId, 'idempotency-key': `key-${requestId}` });
      const other = await workout(otherAdmin, { userId: 'searched-user' });
      const session = await signIn(admin);
      const ids = async (query: string) => (await asSession(session, 'GET', `/dashboard/api/jobs?${query}`)).body.jobs.map((job: { id: string }) => job.id);

      expect(await ids(`q=${requestId}`)).toEqual([byRequest.body.jobId]);
      expect(await ids(`q=key-${requestId}`)).toEqual([byRequest.body.jobId]);
      expect(await ids(`q=${byRequest.body.jobId}`)).toEqual([byRequest.body.jobId]);
      expect(await ids(`q=${other}`)).toEqual([]);
      expect(await ids('field=userId&value=searched-user')).toEqual([byRequest.body.jobId]);
      expect(await ids('field=userId&value=nobody')).toEqual([]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect(await ids(`field=userId&value=searched-user&from=${encodeURIComponent(future)}`)).toEqual([]);
      const ops = (await asSession(await signIn(operator), 'GET', '/dashboard/api/jobs?field=userId&value=searched-user')).body.jobs.map((job: { id: string }) => job.id);
      expect(ops.sort()).toEqual([byRequest.body.jobId, other].sort());
    });

    it('answers 400 naming the parameter for a bad field, a value without a field, or a bad time', async () => {
      const session = await signIn(admin);
      for (const [query, field] of [
        ['field=user%20id&value=x', 'field'],
        ['value=x', 'field'],
        ['field=userId', 'value'],
        ['from=yesterday', 'from'],
        ['status=lost', 'status'],
      ]) {
        const answer = await asSession(session, 'GET', `/dashboard/api/jobs?${query}`);
        expect({ query, status: answer.status, fields: answer.body.errors?.map((error: { field: string }) => error.field) }).toEqual({ query, status: 400, fields: expect.arrayContaining([field]) });
      }
    });
  });

  describe('the overview', () => {
    it("counts the tenant's dead jobs and shows 15 minutes of throughput; dead letters are for operators", async () => {
      const dead = await deadWorkout(admin);
      const session = await signIn(admin);
      const queues = (await asSession(session, 'GET', '/dashboard/api/overview')).body.queues;
      const workouts = queues.find((queue: { queue: string }) => queue.queue === 'workouts');
      expect(workouts).toMatchObject({ dead: expect.any(Number), deadLetters: null, paused: false });
      expect(workouts.dead).toBeGreaterThanOrEqual(1);
      expect(workouts.throughput).toHaveLength(15);
      expect(workouts.throughput.reduce((sum: number, minute: { dead: number }) => sum + minute.dead, 0)).toBeGreaterThanOrEqual(1);
      const ops = (await asSession(await signIn(operator), 'GET', '/dashboard/api/overview')).body.queues.find((queue: { queue: string }) => queue.queue === 'workouts');
      expect(ops.deadLetters).toEqual(expect.any(Number));
      expect(ops.consumers).toBeGreaterThanOrEqual(1);
      await asSession(session, 'POST', `/dashboard/api/jobs/${dead}/retry`);
    });
  });

  describe('the page', () => {
    it("is served with a CSP of its own ('self', no inline script, no framing), while the API keeps its deny-all", async () => {
      const page = await request(baton.api.url, 'GET', '/dashboard', { apiKey: null });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      // Every script is a file of Baton's own: none inline, none from elsewhere.
      for (const [, attributes, content] of page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
        expect(attributes).toMatch(/src="\/dashboard\/assets\/[\w.-]+"/);
        expect(content.trim()).toBe('');
      }
      expect(page.text).not.toMatch(/https?:\/\//);
      expect((await request(baton.api.url, 'GET', '/v1/jobs')).headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
      expect((await request(baton.api.url, 'GET', '/dashboard/assets/no-such.js', { apiKey: null })).status).toBe(404);
      expect((await request(baton.api.url, 'GET', '/dashboard/assets/..%2Findex.html', { apiKey: null })).status).toBe(404);
    });
  });

  describe('DASHBOARD_READ_ONLY=1', () => {
    beforeAll(async () => {
      await stopAll(baton.processes);
      baton = await startBaton({ ...batonEnv(db, vhost), JOB_MAX_ATTEMPTS: '1', DASHBOARD_READ_ONLY: '1' });
    }, 90_000);

    it('shows everything, answers 403 to every state change even with the CSRF token, and still signs out', async () => {
      const dead = await deadWorkout(admin);
      const ops = await signIn(operator);
      expect(ops.body.readOnly).toBe(true);
      expect((await asSession(ops, 'GET', `/dashboard/api/jobs/${dead}`)).status).toBe(200);
      for (const [path, json] of [
        [`/dashboard/api/jobs/${dead}/retry`, undefined],
        [`/dashboard/api/jobs/${dead}/cancel`, undefined],
        ['/dashboard/api/jobs/retry-dead', { dryRun: false }],
        ['/dashboard/api/queues/workouts/pause', undefined],
        ['/dashboard/api/queues/workouts/resume', undefined],
        ['/dashboard/api/queues/workouts/dead-letters/purge', undefined],
        [`/dashboard/api/schedules/${randomUUID()}/pause`, undefined],
        [`/dashboard/api/webhook-deliveries/${randomUUID()}/replay`, undefined],
      ] as const) {
        const answer = await asSession(ops, 'POST', path, { json });
        expect({ path, status: answer.status, message: answer.body?.message }).toEqual({ path, status: 403, message: expect.stringContaining('read-only') });
      }
      expect((await waitForJob(baton.api, dead, undefined, 5_000, admin.key)).status).toBe('dead');
      // The /v1 routes keep their scopes.
      expect((await post(baton.api.url, `/v1/jobs/${dead}/retry`, {}, bearer(admin.key))).status).toBe(202);
      expect((await asSession(ops, 'DELETE', '/dashboard/api/session')).status).toBe(204);
    });
  });
});
