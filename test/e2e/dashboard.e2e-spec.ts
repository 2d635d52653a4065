/**
 * The dashboard in a real Chromium, against a real Baton: in services mode
 * an API and a worker process on PostgreSQL and RabbitMQ, in embedded mode
 * the standalone process (`npm start`). Each user signs in through the form
 * in a browser context of their own: an admin of tenant e2e and an
 * operator; another tenant's jobs, submitted over /v1, must stay out of the
 * admin's sight. Every request the browser makes is recorded, and must go
 * to Baton. Failures come from a PostgreSQL trigger
 * in the suite's own database (installPoison): workouts of users named
 * `poison-*` fail while the poison is on.
 *
 * In services mode the suite also saves the screenshots of docs/images.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  Baton,
  batonEnv,
  createTestBroker,
  createTestDatabase,
  describeWithChromium,
  invoiceBody,
  launchChromium,
  startBaton,
  storeApiKey,
  StoredKey,
  TestBrowser,
  TestDatabase,
  testMode,
  TestVhost,
  TEST_API_KEY,
  TEST_TENANT,
  waitFor,
  WebhookReceiver,
  welcomeEmailBody,
  workoutBody,
} from '../support';
import { installPoison, POISON_MESSAGE, request, setPoison, stopAll, waitForJob } from './e2e-support';

const QUEUE = 'workouts';
const COOKIE = 'baton_dashboard';
const RIVAL_TENANT = 'rival';
const IMAGES = join(__dirname, '..', '..', 'docs', 'images');
// The overview reads the queues every 5 s: a change shows within two reads.
const REFRESHED_MS = 12_000;

/** What a page's script gets from a same-origin fetch it makes itself. */
interface Forged {
  status: number;
  body: any;
}

describeWithChromium('the dashboard in a browser', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let chromium: TestBrowser;
  let receiver: WebhookReceiver;
  let operator: StoredKey;
  let rival: StoredKey;
  /** Every URL any page asked for, across the whole suite. */
  const requested: string[] = [];
  /** Baton's origins: the suite restarts Baton once, read-only, on another port. */
  const origins: string[] = [];
  const policyViolations: string[] = [];

  /** Fast retries and failing webhook deliveries (to the suite's own receiver on loopback), and `extra`. */
  const env = (extra: Record<string, string> = {}) => ({
    ...batonEnv(db, vhost),
    JOB_MAX_ATTEMPTS: '2',
    JOB_RETRY_BASE_MS: '100',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_ALLOW_HTTP: '1',
    WEBHOOK_RETRY_SCHEDULE_SEC: '1,1',
    WEBHOOK_TIMEOUT_MS: '2000',
    ...extra,
  });

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_dashboard'), createTestBroker('baton_e2e_dashboard')]);
    [operator, rival] = await Promise.all([
      storeApiKey(db.url, { tenant: 'ops', scopes: ['operator'] }),
      storeApiKey(db.url, { tenant: RIVAL_TENANT, scopes: ['admin'] }),
    ]);
    await installPoison(db);
    receiver = await WebhookReceiver.start();
    [baton, chromium] = await Promise.all([startBaton(env()), launchChromium()]);
    origins.push(baton.api.url);
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    await stopAll(baton?.processes ?? []);
    await receiver?.close();
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  /** A browser context of its own (a user), whose requests and CSP reports the suite records. */
  async function newUser(): Promise<Page> {
    const context = await chromium.newContext();
    context.on('request', (sent) => requested.push(sent.url()));
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) policyViolations.push(message.text());
    });
    return page;
  }

  /** Signs in through the form, as a person would, and waits for the overview. */
  async function signIn(page: Page, key: string, how: 'mouse' | 'keyboard' = 'mouse'): Promise<void> {
    await page.goto(`${baton.api.url}/dashboard`);
    if (how === 'keyboard') {
      // The form takes the focus: type the key, press Enter.
      await page.getByLabel('API key').waitFor();
      await page.keyboard.type(key);
      await page.keyboard.press('Enter');
    } else {
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }

  /** Opens a route of the dashboard and waits until its view is the one drawn. */
  async function open(page: Page, hash: string): Promise<void> {
    await page.goto(`${baton.api.url}/dashboard${hash}`);
    await page.locator(`main[data-route="${hash}"]`).waitFor();
  }

  /** Waits until the jobs view at `hash` has its results, and answers their text. */
  async function jobResults(page: Page, hash: string, match: '=' | '^=' = '='): Promise<string> {
    const results = page.locator(`main[data-route${match}"${hash}"] section.results:not([aria-busy])`);
    await results.waitFor();
    return results.innerText();
  }

  async function screenshot(page: Page, view: string): Promise<void> {
    // Written in one mode only, so that the committed images do not churn.
    if (testMode() === 'services') await page.screenshot({ path: join(IMAGES, `dashboard-${view}.png`) });
  }

  /** A call from the page's own script, with the session's CSRF token unless `csrf` says otherwise. */
  function forge(page: Page, method: string, path: string, options: { csrf?: 'session' | 'none' | 'other'; json?: unknown } = {}): Promise<Forged> {
    return page.evaluate(
      async ({ method, path, csrf, json }) => {
        const headers: Record<string, string> = {};
        if (csrf !== 'none') {
          const session = (await (await fetch('/dashboard/api/session')).json()) as { csrfToken: string };
          headers['x-csrf-token'] = csrf === 'other' ? `${session.csrfToken}x` : session.csrfToken;
        }
        if (json !== undefined) headers['content-type'] = 'application/json';
        const response = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: kept as text.
        }
        return { status: response.status, body };
      },
      { method, path, csrf: options.csrf ?? 'session', json: options.json },
    );
  }

  /** Waits until every worker has applied a pause or resume: its baton_queue_paused gauge is set only once its consumer is cancelled or back. */
  async function workersSee(paused: boolean): Promise<void> {
    const line = new RegExp(`^baton_queue_paused\\{[^}]*queue="${QUEUE}"[^}]*\\} ${paused ? 1 : 0}$`, 'm');
    for (const worker of baton.workers) {
      await waitFor(`${worker.url} to see ${QUEUE} ${paused ? 'paused' : 'running'}`, async () => line.test(await (await fetch(`${worker.url}/metrics`)).text()) || undefined, 10_000, 100);
    }
  }

  /** A cell of the overview's row for a queue. */
  const queueCell = (page: Page, field: string) => page.getByTestId(`queue-${QUEUE}`).locator(`[data-field="${field}"]`);

  /** Waits until the overview shows `text` in a queue's cell, without a reload. */
  async function overviewShows(page: Page, field: string, text: string): Promise<void> {
    await queueCell(page, field)
      .filter({ hasText: new RegExp(`^${text}$`) })
      .waitFor({ timeout: REFRESHED_MS })
      .catch(async (error: Error) => {
        const shown = await queueCell(page, field).innerText({ timeout: 1_000 }).catch(() => 'nothing');
        throw new Error(`the overview's ${field} of ${QUEUE} is not ${text} but ${shown}: ${error.message}`);
      });
  }

  async function submitWorkout(userId: string, options: { apiKey?: string; requestId?: string } = {}): Promise<string> {
    const answer = await request(baton.api.url, 'POST', '/v1/workouts', {
      json: workoutBody({ userId }),
      apiKey: options.apiKey,
      headers: options.requestId ? { 'x-request-id': options.requestId } : {},
    });
    expect(answer.status).toBe(202);
    return answer.body.jobId;
  }

  async function deadWorkout(userId: string, apiKey?: string): Promise<string> {
    const jobId = await submitWorkout(userId, { apiKey });
    expect((await waitForJob(baton.api, jobId, ['completed', 'dead'], 20_000, apiKey)).status).toBe('dead');
    return jobId;
  }

  let admin: Page;
  let operatorPage: Page;
  let rivalDeadJob: string;

  it('signs an admin in through the form: an HttpOnly, SameSite=Strict cookie that scripts cannot read, and no key kept', async () => {
    admin = await newUser();
    await admin.goto(`${baton.api.url}/dashboard`);
    await admin.getByRole('button', { name: 'Sign in' }).waitFor();
    await screenshot(admin, 'sign-in');
    expect((await forge(admin, 'GET', '/dashboard/api/overview', { csrf: 'none' })).status).toBe(401);

    await signIn(admin, TEST_API_KEY);
    const header = admin.getByRole('banner');
    await header.getByText(TEST_TENANT, { exact: true }).waitFor();
    await header.getByText('admin', { exact: true }).waitFor();
    expect(await header.getByText('read-only').count()).toBe(0);

    const cookie = (await admin.context().cookies()).find((candidate) => candidate.name === COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
    const seenByScript = await admin.evaluate('({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length })');
    expect(seenByScript).toEqual({ cookie: expect.not.stringContaining(COOKIE), local: 0, session: 0 });
  });

  it('shows a paused queue filling up, and draining at resume, refreshing by itself', async () => {
    operatorPage = await newUser();
    await signIn(operatorPage, operator.key, 'keyboard');
    await operatorPage.getByRole('banner').getByText('operator', { exact: true }).waitFor();
    await operatorPage.getByRole('button', { name: `Pause ${QUEUE}` }).click();
    await operatorPage.getByTestId(`queue-${QUEUE}`).locator('[data-field="paused"]').waitFor();
    await operatorPage.getByRole('button', { name: `Resume ${QUEUE}` }).waitFor();
    await workersSee(true);
    // An admin may not pause: a queue serves every tenant.
    expect(await admin.getByRole('button', { name: `Pause ${QUEUE}` }).count()).toBe(0);

    const ids = [await submitWorkout('paused-1'), await submitWorkout('paused-2'), await submitWorkout('paused-3')];
    try {
      await overviewShows(admin, 'waiting', '3');
      await admin.getByTestId(`queue-${QUEUE}`).locator('[data-field="paused"]').waitFor();
      await operatorPage.getByRole('button', { name: `Resume ${QUEUE}` }).click();
      await operatorPage.getByRole('status').getByText(`Queue ${QUEUE} resumed.`).waitFor();
    } finally {
      // Resumed whatever happened, so that a failure here fails no later test.
      expect((await request(baton.api.url, 'POST', `/v1/queues/${QUEUE}/resume`, { apiKey: operator.key })).status).toBe(200);
    }
    for (const id of ids) expect((await waitForJob(baton.api, id)).status).toBe('completed');
    await overviewShows(admin, 'waiting', '0');
    expect(await admin.getByTestId(`queue-${QUEUE}`).locator('[data-field="paused"]').count()).toBe(0);
  }, 60_000);

  it("finds a job by its request's X-Request-Id, and by a payload field, in a URL that reloads", async () => {
    const requestId = `dashboard-${randomUUID()}`;
    const userId = `u-${randomUUID().slice(0, 8)}`;
    const jobId = await submitWorkout(userId, { requestId });
    const other = await submitWorkout(`u-${randomUUID().slice(0, 8)}`);
    await waitForJob(baton.api, jobId);

    await admin.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Jobs' }).click();
    await admin.getByLabel('Job id, request id or idempotency key').fill(requestId);
    await admin.getByRole('button', { name: 'Search' }).click();
    const byRequestId = await jobResults(admin, `#/jobs?q=${requestId}`);
    expect(byRequestId).toContain(jobId);
    expect(byRequestId).not.toContain(other);

    await admin.getByRole('link', { name: 'Clear' }).click();
    await admin.locator('main[data-route="#/jobs"]').waitFor();
    await admin.getByLabel('Payload field').fill('userId');
    await admin.getByLabel('Payload value').fill(userId);
    await admin.getByRole('button', { name: 'Search' }).click();
    const byPayload = await jobResults(admin, `#/jobs?field=userId&value=${userId}`);
    expect(byPayload).toContain(jobId);
    expect(byPayload).not.toContain(other);

    await admin.reload();
    expect(await jobResults(admin, `#/jobs?field=userId&value=${userId}`)).toContain(jobId);
    expect(await admin.getByLabel('Payload value').inputValue()).toBe(userId);

    // Created from a time still to come: nothing yet.
    await admin.getByLabel('Created from').fill('2099-01-01T00:00:00');
    await admin.getByRole('button', { name: 'Search' }).click();
    // (Chromium leaves out seconds that are zero.)
    expect(await jobResults(admin, '#/jobs?from=2099-01-01T00%3A00', '^=')).toContain('No jobs match.');
    expect(new URL(admin.url()).hash).toMatch(new RegExp(`^#/jobs\\?from=2099-01-01T00%3A00(%3A00)?&field=userId&value=${userId}$`));
    await admin.goBack();
    expect(await jobResults(admin, `#/jobs?field=userId&value=${userId}`)).toContain(jobId);
    await screenshot(admin, 'jobs');
  });

  it("shows a secret payload field as [redacted], and says which", async () => {
    // An email job as the API stores one (emails are turned off in this suite: no mail server), cancelled so that nothing runs it.
    const jobId = randomUUID();
    await db.query(
      `INSERT INTO jobs (id, type, tenant, status, payload, max_attempts, correlation_id, published_at) VALUES ($1, 'emails', $2, 'cancelled', $3, 3, $4, now())`,
      [jobId, TEST_TENANT, JSON.stringify(welcomeEmailBody({ actionUrl: 'https://acme.example/start?token=secret-token' })), `dashboard-${jobId}`],
    );
    await open(admin, `#/jobs/${jobId}`);
    const payload = admin.getByRole('region', { name: 'Payload' });
    await payload.getByText('Redacted fields: data.actionUrl.').waitFor();
    const shown = JSON.parse(await payload.locator('pre').innerText());
    expect(shown.data).toMatchObject({ name: 'Ada', actionUrl: '[redacted]' });
    expect(await admin.getByText('secret-token').count()).toBe(0);
  });

  it('pages through the jobs, newest first, forward and back', async () => {
    await open(admin, '#/jobs?limit=2');
    const rows = () => admin.locator('main table.jobs tbody tr th a').allInnerTexts();
    await admin.locator('main section.results:not([aria-busy])').waitFor();
    const first = await rows();
    expect(first).toHaveLength(2);
    expect(await admin.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);

    await admin.getByRole('button', { name: 'Next page' }).click();
    await admin.locator('main[data-route^="#/jobs?limit=2&cursor="] section.results:not([aria-busy])').waitFor();
    const second = await rows();
    expect(second).toHaveLength(2);
    expect(second.filter((id) => first.includes(id))).toEqual([]);

    await admin.getByRole('button', { name: 'Previous page' }).click();
    await admin.locator('main[data-route="#/jobs?limit=2"] section.results:not([aria-busy])').waitFor();
    expect(await rows()).toEqual(first);
  });

  it("opens a dead job, reads its attempts' errors, retries it, and sees it complete", async () => {
    const jobId = await deadWorkout('poison-detail');
    await open(admin, `#/jobs/${jobId}`);
    await admin.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
    const errors = admin.getByRole('region', { name: 'Errors' });
    expect(await errors.locator('.error-message', { hasText: POISON_MESSAGE }).count()).toBe(2);
    await admin.getByRole('region', { name: 'Payload' }).getByText('"poison-detail"').waitFor();
    expect(await admin.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
    await screenshot(admin, 'job-dead');
    await errors.getByText('Stack of attempt 1').click();
    await errors.locator('pre.stack').first().waitFor();

    await setPoison(db, false);
    try {
      await admin.getByRole('button', { name: 'Retry' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Retry job' });
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await admin.getByRole('status').getByText('The job is queued again.').waitFor();
      expect((await waitForJob(baton.api, jobId)).status).toBe('completed');
      await admin.reload();
      await admin.getByRole('region', { name: 'Summary' }).getByText('completed', { exact: true }).waitFor();
      await admin.getByRole('region', { name: 'Result', exact: true }).waitFor();
      const workout = await admin.getByRole('link', { name: 'Workout (JSON)' }).getAttribute('href');
      expect(await forge(admin, 'GET', workout!, { csrf: 'none' })).toEqual({ status: 200, body: expect.objectContaining({ userId: 'poison-detail' }) });

      // Retrying it again is refused, and the page says why (the API's 409).
      const again = await forge(admin, 'POST', `/dashboard/api/jobs/${jobId}/retry`);
      expect(again.status).toBe(409);
    } finally {
      await setPoison(db, true);
    }
  }, 60_000);

  it("opens a completed invoice's PDF in a new tab", async () => {
    const accepted = await request(baton.api.url, 'POST', '/v1/invoices', { json: invoiceBody({ orderId: 'dashboard-order' }) });
    expect(accepted.status).toBe(202);
    expect((await waitForJob(baton.api, accepted.body.jobId)).status).toBe('completed');
    const responses: Array<{ url: string; status: number; type: string }> = [];
    admin.context().on('response', (response) => responses.push({ url: response.url(), status: response.status(), type: response.headers()['content-type'] ?? '' }));

    await open(admin, `#/jobs/${accepted.body.jobId}`);
    const [tab] = await Promise.all([admin.context().waitForEvent('page'), admin.getByRole('link', { name: 'Invoice (PDF)' }).click()]);
    const pdf = await waitFor('the invoice PDF to be answered', async () => responses.find((response) => response.url.endsWith('/invoice.pdf')), 10_000, 50);
    expect(pdf).toMatchObject({ status: 200, type: expect.stringContaining('application/pdf') });
    expect(tab.url()).toBe(pdf.url);
    await tab.close();
  });

  it("retries a queue's dead jobs in bulk, showing how many before it asks; another tenant's stay dead", async () => {
    rivalDeadJob = await deadWorkout('poison-rival', rival.key);
    const mine = [await deadWorkout('poison-bulk-1'), await deadWorkout('poison-bulk-2')];
    await open(admin, '#/overview');
    await overviewShows(admin, 'dead', '2');

    await setPoison(db, false);
    try {
      const bulkRetry = admin.getByRole('button', { name: `Retry dead jobs of ${QUEUE}…` });
      const dialog = admin.getByRole('dialog', { name: 'Retry dead jobs' });
      // Escape answers no: nothing is retried.
      await bulkRetry.click();
      await dialog.getByText(`Retry 2 dead jobs of ${QUEUE}?`).waitFor();
      await admin.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      for (const id of mine) expect((await waitForJob(baton.api, id, ['dead'], 1_000)).status).toBe('dead');

      await bulkRetry.click();
      await dialog.getByText(`Retry 2 dead jobs of ${QUEUE}?`).waitFor();
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await admin.getByRole('status').getByText(`Retried 2 dead jobs of ${QUEUE}.`).waitFor();
      for (const id of mine) expect((await waitForJob(baton.api, id)).status).toBe('completed');
      await overviewShows(admin, 'dead', '0');
    } finally {
      await setPoison(db, true);
    }
    expect((await waitForJob(baton.api, rivalDeadJob, ['dead'], 5_000, rival.key)).status).toBe('dead');
    await overviewShows(admin, 'inFlight', '0');
    await screenshot(admin, 'overview');
  }, 60_000);

  it("keeps another tenant's jobs and schedules out of every view of an admin, the URL and the API included", async () => {
    const schedule = (tenantKey: string, name: string) =>
      request(baton.api.url, 'POST', '/v1/schedules', { apiKey: tenantKey, json: { name, cron: '0 3 * * *', timezone: 'Europe/Paris', type: QUEUE, payload: workoutBody({ userId: `${name}-user` }) } });
    expect((await schedule(TEST_API_KEY, 'nightly-sync')).status).toBe(201);
    expect((await schedule(rival.key, 'rival-nightly')).status).toBe(201);

    await open(admin, `#/jobs/${rivalDeadJob}`);
    await admin.getByRole('heading', { name: 'Job not found' }).waitFor();
    expect((await forge(admin, 'GET', `/dashboard/api/jobs/${rivalDeadJob}`)).status).toBe(404);
    expect((await forge(admin, 'POST', `/dashboard/api/jobs/${rivalDeadJob}/retry`)).status).toBe(404);
    expect((await forge(admin, 'GET', `/dashboard/api/jobs?tenant=${RIVAL_TENANT}`)).status).toBe(403);

    await admin.goto(`${baton.api.url}/dashboard#/jobs?status=dead`);
    expect(await jobResults(admin, '#/jobs?status=dead')).toContain('No jobs match.');
    await open(admin, '#/overview');
    await overviewShows(admin, 'dead', '0');

    await open(admin, '#/schedules');
    await admin.getByRole('rowheader', { name: 'nightly-sync' }).waitFor();
    expect(await admin.getByText('rival-nightly').count()).toBe(0);
    await screenshot(admin, 'schedules');

    // The operator, who sees every tenant, does see them: what the admin missed was there.
    await operatorPage.goto(`${baton.api.url}/dashboard#/jobs?status=dead`);
    expect(await jobResults(operatorPage, '#/jobs?status=dead')).toMatch(new RegExp(`${rivalDeadJob}\\s+${QUEUE}\\s+dead\\s+${RIVAL_TENANT}`));
    await operatorPage.goto(`${baton.api.url}/dashboard#/jobs?tenant=${RIVAL_TENANT}`);
    const rivalsJobs = await jobResults(operatorPage, `#/jobs?tenant=${RIVAL_TENANT}`);
    expect(rivalsJobs).toContain(rivalDeadJob);
    expect(rivalsJobs).not.toMatch(new RegExp(`\\s${TEST_TENANT}\\s`));
    await open(operatorPage, '#/overview');
    await overviewShows(operatorPage, 'dead', '1');

    // Only an operator may purge a dead-letter queue, since it serves every tenant.
    expect(await admin.getByRole('button', { name: `Purge dead letters of ${QUEUE}` }).count()).toBe(0);
    await operatorPage.getByRole('button', { name: `Purge dead letters of ${QUEUE}` }).click();
    await operatorPage.getByRole('dialog', { name: 'Purge dead letters' }).getByRole('button', { name: 'Confirm' }).click();
    await operatorPage.getByRole('status').getByText(new RegExp(`^Purged \\d+ dead letters of ${QUEUE}\\.$`)).waitFor();
    await overviewShows(operatorPage, 'deadLetters', '0');
    await open(operatorPage, '#/schedules');
    await operatorPage.getByRole('rowheader', { name: 'rival-nightly' }).waitFor();

    // A schedule's pause from the dashboard.
    await admin.getByRole('button', { name: 'Pause schedule nightly-sync' }).click();
    await admin.getByRole('button', { name: 'Resume schedule nightly-sync' }).waitFor();

    // Nor does a search by its id find it; the operator's does.
    await admin.goto(`${baton.api.url}/dashboard#/jobs?q=${rivalDeadJob}`);
    expect(await jobResults(admin, `#/jobs?q=${rivalDeadJob}`)).toContain('No jobs match.');
    await operatorPage.goto(`${baton.api.url}/dashboard#/jobs?q=${rivalDeadJob}`);
    expect(await jobResults(operatorPage, `#/jobs?q=${rivalDeadJob}`)).toContain(rivalDeadJob);
    const row = operatorPage.getByRole('row').filter({ has: operatorPage.getByRole('link', { name: rivalDeadJob }) });
    await row.getByRole('cell', { name: RIVAL_TENANT, exact: true }).waitFor();
  }, 60_000);

  it('refuses a state change without the CSRF token, or with another one', async () => {
    for (const csrf of ['none', 'other'] as const) {
      expect((await forge(admin, 'POST', '/dashboard/api/jobs/retry-dead', { csrf, json: { type: QUEUE, dryRun: true } })).status).toBe(403);
      expect((await forge(admin, 'DELETE', '/dashboard/api/session', { csrf })).status).toBe(403);
    }
    const allowed = await forge(admin, 'POST', '/dashboard/api/jobs/retry-dead', { json: { type: QUEUE, dryRun: true } });
    expect(allowed).toEqual({ status: 200, body: expect.objectContaining({ retried: 0, wouldRetry: 0 }) });
  });

  it('lists webhook endpoints and failed deliveries, and replays one', async () => {
    const path = '/dashboard-hook';
    receiver.script(path, [500, 500, 500]);
    const endpoint = await request(baton.api.url, 'POST', '/v1/webhook-endpoints', { json: { url: receiver.url(path), events: ['job.completed'], description: 'Order sync' } });
    expect(endpoint.status).toBe(201);
    await waitForJob(baton.api, await submitWorkout('webhook-user'));
    const failed = await waitFor(
      'a failed delivery',
      async () => (await request(baton.api.url, 'GET', `/v1/webhook-deliveries?endpointId=${endpoint.body.id}&status=failed`)).body.deliveries[0],
      20_000,
      200,
    );

    await admin.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Webhooks' }).click();
    await admin.getByRole('rowheader', { name: receiver.url(path) }).waitFor();
    await admin.getByLabel('Endpoint', { exact: true }).selectOption(endpoint.body.id);
    await admin.getByLabel('Delivery status').selectOption('failed');
    await admin.getByRole('button', { name: 'Show deliveries' }).click();
    await admin.locator(`main[data-route="#/webhooks?endpointId=${endpoint.body.id}&status=failed"]`).waitFor();
    const replay = admin.getByRole('button', { name: `Replay delivery ${failed.id}` });
    await replay.waitFor();
    await screenshot(admin, 'webhooks');

    await replay.click();
    await admin.getByRole('status').getByText(`Delivery ${failed.id} is sent again.`).waitFor();
    const requests = await receiver.waitForRequests(path, 4);
    expect(requests[3]).toMatchObject({ answered: 200, headers: expect.objectContaining({ 'webhook-id': failed.id }) });
  }, 60_000);

  it('signs out: the sign-in form again, and the old cookie opens nothing', async () => {
    const cookie = (await admin.context().cookies()).find((candidate) => candidate.name === COOKIE);
    expect(cookie).toBeDefined();
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByLabel('API key').waitFor();
    expect((await forge(admin, 'GET', '/dashboard/api/overview', { csrf: 'none' })).status).toBe(401);
    const replayed = await fetch(`${baton.api.url}/dashboard/api/overview`, { headers: { cookie: `${COOKIE}=${cookie!.value}` } });
    expect(replayed.status).toBe(401);
  });

  it('goes back to the sign-in form, saying so, when the session ends under an open page', async () => {
    await open(operatorPage, '#/overview');
    await operatorPage.getByTestId(`queue-${QUEUE}`).waitFor();
    expect((await forge(operatorPage, 'DELETE', '/dashboard/api/session')).status).toBe(204);
    // The next call the page makes (here, the jobs view's) answers 401.
    await operatorPage.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Jobs' }).click();
    await operatorPage.getByText('Your session has ended').waitFor();
    await operatorPage.getByLabel('API key').waitFor();
  });

  describe('read-only (DASHBOARD_READ_ONLY=1)', () => {
    let page: Page;
    let scheduleId: string;

    beforeAll(async () => {
      await stopAll(baton.processes);
      baton = await startBaton(env({ DASHBOARD_READ_ONLY: '1' }));
      origins.push(baton.api.url);
      const schedules = await request(baton.api.url, 'GET', '/v1/schedules');
      scheduleId = schedules.body.schedules[0].id;
    }, 60_000);

    it('hides every action, and answers 403 to each one forged from the page with the right token', async () => {
      page = await newUser();
      await signIn(page, operator.key);
      await page.getByRole('banner').getByText('read-only', { exact: true }).waitFor();
      await page.getByTestId(`queue-${QUEUE}`).waitFor();
      expect(await page.getByRole('main').getByRole('button').count()).toBe(0);

      await open(page, `#/jobs/${rivalDeadJob}`);
      await page.getByRole('heading', { name: `Job ${rivalDeadJob}` }).waitFor();
      expect(await page.getByRole('main').getByRole('button').count()).toBe(0);
      await open(page, '#/schedules');
      await page.getByRole('rowheader', { name: 'rival-nightly' }).waitFor();
      expect(await page.getByRole('main').getByRole('button').count()).toBe(0);

      const actions: Array<[string, unknown?]> = [
        [`/dashboard/api/jobs/${rivalDeadJob}/retry`],
        [`/dashboard/api/jobs/${rivalDeadJob}/cancel`],
        ['/dashboard/api/jobs/retry-dead', { type: QUEUE }],
        ['/dashboard/api/jobs/retry-dead', { type: QUEUE, dryRun: true }],
        [`/dashboard/api/queues/${QUEUE}/pause`],
        [`/dashboard/api/queues/${QUEUE}/resume`],
        [`/dashboard/api/queues/${QUEUE}/dead-letters/purge`],
        [`/dashboard/api/schedules/${scheduleId}/pause`],
        [`/dashboard/api/schedules/${scheduleId}/resume`],
        [`/dashboard/api/webhook-deliveries/${randomUUID()}/replay`],
      ];
      for (const [path, json] of actions) {
        const answer = await forge(page, 'POST', path, { json });
        expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      }
      expect((await waitForJob(baton.api, rivalDeadJob, ['dead'], 5_000, rival.key)).status).toBe('dead');

      // Signing out still works.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API key').waitFor();
      expect((await forge(page, 'GET', '/dashboard/api/session', { csrf: 'none' })).status).toBe(401);
    }, 60_000);
  });

  it("sent every request to Baton's own origin, and broke no rule of the page's CSP", async () => {
    expect(requested.length).toBeGreaterThan(20);
    // Chromium's own pages (its PDF viewer is an extension) never reach the network.
    const internal = ['chrome-extension:', 'data:', 'blob:', 'about:'];
    expect(requested.filter((url) => !origins.some((origin) => url.startsWith(`${origin}/`)) && !internal.includes(new URL(url).protocol))).toEqual([]);
    expect(policyViolations).toEqual([]);
  });
});
