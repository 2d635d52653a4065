/**
 * Emails end to end, on a real SMTP server of the suite's own (smtp-server,
 * in a child process): what the server receives (headers, both parts, the
 * attached invoice PDF, the Message-ID), a permanent refusal, a server that
 * is away for a while, and what is recorded in PostgreSQL. Through the built
 * processes: an API and a worker in services mode, the standalone process
 * (sending over SMTP_URL, not to files) in embedded mode.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batonEnv,
  BatonProcess,
  bearer,
  comparableText,
  createTestBroker,
  createTestDatabase,
  describeWithRedis,
  invoiceBody,
  orderConfirmationBody,
  parseEmail,
  pdfTextLayers,
  REDIS_URL,
  ReceivedEmail,
  startBaton,
  startStandalone,
  storeApiKey,
  TestDatabase,
  TestSmtpServer,
  TEST_TENANT,
  TestVhost,
  waitFor,
  welcomeEmailBody,
} from '../support';
import { get, JobView, post, request, stopAll, waitForJob } from './e2e-support';

const MAIL_FROM = 'Example Shop <shop@example.com>';

const welcome = (to: string, name = 'Ada') => welcomeEmailBody({ name, actionUrl: 'https://app.example.com/start' }, { to });

const orderConfirmation = (to: string, invoiceId?: string) =>
  orderConfirmationBody(
    {
      name: 'Łukasz Żółć',
      orderNumber: 'order-7731',
      items: [
        { description: 'Kaffee für Zoë', quantity: 2, unitPriceCents: 350 },
        { description: 'Croissant', quantity: 1, unitPriceCents: 220 },
      ],
    },
    { to, ...(invoiceId ? { invoiceId } : {}) },
  );

describe('emails over SMTP', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let smtp: TestSmtpServer;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [db, vhost, smtp] = await Promise.all([createTestDatabase('baton_e2e_emails'), createTestBroker('baton_e2e_emails'), TestSmtpServer.start()]);
    ({ api, processes } = await startBaton({
      ...batonEnv(db, vhost),
      // Emails on (the test processes have them off by default), over the suite's SMTP server.
      DISABLED_JOB_TYPES: '',
      SMTP_URL: smtp.url,
      MAIL_FROM,
      JOB_RETRY_BASE_MS: '200',
      JOB_RETRY_MAX_MS: '400',
      JOB_MAX_ATTEMPTS: '30',
    }));
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop(), smtp?.close()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  async function send(body: unknown): Promise<JobView> {
    const accepted = await post(api.url, '/v1/emails', body);
    expect(accepted.status).toBe(202);
    return waitForJob(api, accepted.body.jobId);
  }

  const received = async (messageId: string): Promise<ReceivedEmail[]> => (await smtp.messages()).filter((email) => email.messageId === messageId);

  it('sends a welcome email: both parts, escaped, from MAIL_FROM, with a Message-ID made of the job id', async () => {
    const job = await send(welcome('ada@example.com', 'Ada <b>&</b> "Lovelace"'));
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    const messageId = `<${job.id}@example.com>`;
    expect(job.result).toMatchObject({ messageId, to: 'ada@example.com' });

    const [email, ...more] = await waitFor('the welcome email', async () => ((await received(messageId)).length > 0 ? received(messageId) : undefined));
    expect(more).toEqual([]);
    expect(email.from).toEqual(['shop@example.com']);
    expect(email.to).toEqual(['ada@example.com']);
    expect(email.envelope).toEqual({ from: 'shop@example.com', to: ['ada@example.com'] });
    expect(email.subject).toContain('Ada <b>&</b> "Lovelace"');
    // HTML escapes what the user typed; the text part carries it as typed.
    expect(email.html).toContain('Ada &lt;b&gt;&amp;&lt;/b&gt;');
    expect(email.html).not.toContain('<b>&</b>');
    expect(email.html).toContain('https://app.example.com/start');
    expect(email.text).toContain('Ada <b>&</b> "Lovelace"');
    expect(email.attachments).toEqual([]);

    const [row] = await db.query<Record<string, unknown>>(`SELECT * FROM email_messages WHERE job_id = $1`, [job.id]);
    expect(row).toMatchObject({ tenant: TEST_TENANT, message_id: messageId, recipient: 'ada@example.com', template: 'welcome', invoice_id: null });
    expect(String(row.response)).toMatch(/^250/);
  });

  it("sends an order confirmation with the order's invoice attached: the very PDF, named by its number", async () => {
    const invoiceJob = await waitForJob(api, (await post(api.url, '/v1/invoices', invoiceBody({ orderId: 'order-7731' }))).body.jobId);
    expect(invoiceJob.status).toBe('completed');
    const invoiceId = String(invoiceJob.result!.invoiceId);
    const invoice = await get(api.url, `/v1/invoices/${invoiceId}`);
    const pdf = await request(api.url, 'GET', `/v1/invoices/${invoiceId}/pdf`);

    const job = await send(orderConfirmation('lukasz@example.com', invoiceId));
    expect(job.status).toBe('completed');
    const [email] = await waitFor('the order confirmation', async () => ((await received(`<${job.id}@example.com>`)).length > 0 ? received(`<${job.id}@example.com>`) : undefined));

    expect(email.subject).toContain('order-7731');
    for (const part of [email.html!, email.text!]) {
      expect(part).toContain('Łukasz Żółć');
      expect(part).toContain('Kaffee für Zoë');
    }
    expect(email.attachments).toHaveLength(1);
    const [attachment] = email.attachments;
    expect(attachment).toMatchObject({ filename: `${invoice.body.number}.pdf`, contentType: 'application/pdf' });
    expect(attachment.content.equals(pdf.bytes)).toBe(true);
    for (const layer of await pdfTextLayers(attachment.content)) expect(comparableText(layer.text)).toContain('order-7731');
    const [row] = await db.query(`SELECT invoice_id FROM email_messages WHERE job_id = $1`, [job.id]);
    expect(row).toEqual({ invoice_id: invoiceId });
  });

  it("refuses an invoiceId that is unknown or another tenant's with a 400 naming invoiceId, and sends nothing", async () => {
    const otherKey = await storeApiKey(db.url, { tenant: 'other-shop', scopes: ['admin'] });
    const theirs = await waitForJob(api, (await post(api.url, '/v1/invoices', invoiceBody(), bearer(otherKey.key))).body.jobId, undefined, undefined, otherKey.key);
    const before = (await smtp.messages()).length;

    for (const invoiceId of [String(theirs.result!.invoiceId), '6f1c1f8e-9a43-4c55-9d6b-0b4a8a2e7d10']) {
      const answer = await post(api.url, '/v1/emails', orderConfirmation('lukasz@example.com', invoiceId));
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ field: 'invoiceId', messages: [expect.any(String)] }]);
    }
    const [{ count }] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM jobs WHERE type = 'emails' AND payload->>'invoiceId' IS NOT NULL AND tenant = $1`, [TEST_TENANT]);
    // Only the accepted confirmation of the test before carries an invoice.
    expect(count).toBe(1);
    // The next email is the next message the server gets: nothing was sent in between.
    const job = await send(welcome('after@example.com'));
    const all = await smtp.waitForMessages(before + 1);
    expect(all.map((email) => email.messageId)).toContain(`<${job.id}@example.com>`);
    expect(all).toHaveLength(before + 1);
  });

  it("answers 400 naming each wrong field, the template's data included", async () => {
    const answer = await post(api.url, '/v1/emails', { to: 'not an address', template: 'order-confirmation', data: { name: 'Ada', orderNumber: 'o-1', currency: 'EUR', items: [{ description: 'x', quantity: 0, unitPriceCents: 1 }] } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(expect.arrayContaining(['to', 'data.items.0.quantity']));
    const unknown = await post(api.url, '/v1/emails', { to: 'ada@example.com', template: 'farewell', data: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((error: { field: string }) => error.field)).toContain('template');
  });

  it("makes the job dead at once, with the server's answer, when the server refuses the recipient for good (550)", async () => {
    await smtp.refuse(/^gone@/, 550, '5.1.1 <gone@example.com>: mailbox unavailable');
    const job = await send(welcome('gone@example.com'));
    expect(job).toMatchObject({ status: 'dead', attempts: 1 });
    expect(job.error).toMatch(/550/);
    expect(job.error).toContain('mailbox unavailable');
    expect(await received(`<${job.id}@example.com>`)).toEqual([]);
    expect(await db.query(`SELECT 1 FROM email_messages WHERE job_id = $1`, [job.id])).toEqual([]);
  });

  it('retries while the server refuses connections, and sends exactly once when it is back', async () => {
    await smtp.stop();
    const accepted = await post(api.url, '/v1/emails', welcome('patient@example.com'));
    expect(accepted.status).toBe(202);
    const jobId: string = accepted.body.jobId;
    // Two failed attempts: the server really was away while the job ran.
    const failing = await waitFor(`job ${jobId} to fail twice`, async () => {
      const job = (await get<JobView>(api.url, `/v1/jobs/${jobId}`)).body;
      return job.errors.length >= 2 ? job : undefined;
    });
    expect(failing.errors[0].message).toMatch(/ECONNREFUSED|connect/i);
    await smtp.restart();

    const job = await waitForJob(api, jobId);
    expect(job.status).toBe('completed');
    // A later email through the same worker arrives after it: had the first gone twice, both copies would be there by now.
    const later = await send(welcome('later@example.com'));
    await waitFor('the later email', async () => ((await received(`<${later.id}@example.com>`)).length > 0 ? true : undefined));
    expect(await received(`<${jobId}@example.com>`)).toHaveLength(1);
  });
});

describe('emails turned off (DISABLED_JOB_TYPES=emails)', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_emails_off'), createTestBroker('baton_e2e_emails_off')]);
    ({ api, processes } = await startBaton({ ...batonEnv(db, vhost), DISABLED_JOB_TYPES: 'emails' }));
  }, 90_000);

  afterAll(async () => {
    await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  it('answers POST /v1/emails with 404 and stores nothing; the other types are accepted', async () => {
    const answer = await post(api.url, '/v1/emails', welcome('ada@example.com'));
    expect(answer.status).toBe(404);
    expect(await db.query(`SELECT 1 FROM jobs`)).toEqual([]);
    expect((await post(api.url, '/v1/invoices', invoiceBody())).status).toBe(202);
  });
});

/** A labelled sample from a process's /metrics; NaN when it is not there. */
async function sample(baseUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/**
 * Jobs per second over `times`: the slope of a least-squares line through
 * (time, rank), which the limiter's evenly spaced starts put on a line. The
 * span from first to last alone would make the whole figure hang on the two
 * ends, and an email's acceptance comes a variable while after its start
 * (the SMTP exchange, on a busy machine). The first few are left out: they
 * took their slots at once but open the first connections (SMTP,
 * PostgreSQL), so they are accepted late.
 */
function rateOf(times: Date[], warmUp = 5): number {
  const seconds = times.map((time) => time.getTime() / 1000).sort((a, b) => a - b).slice(warmUp);
  const meanTime = seconds.reduce((sum, time) => sum + time, 0) / seconds.length;
  const meanRank = (seconds.length - 1) / 2;
  let covariance = 0;
  let variance = 0;
  seconds.forEach((time, rank) => {
    covariance += (time - meanTime) * (rank - meanRank);
    variance += (time - meanTime) ** 2;
  });
  return covariance / variance;
}

describe('WORKER_RATE_LIMITS', () => {
  const RATE = 20;
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let smtp: TestSmtpServer;
  let processes: BatonProcess[] = [];

  beforeEach(async () => {
    [db, vhost, smtp] = await Promise.all([createTestDatabase('baton_e2e_email_rate'), createTestBroker('baton_e2e_email_rate'), TestSmtpServer.start()]);
  });

  afterEach(async () => {
    await stopAll(processes);
    processes = [];
    await Promise.all([db?.drop(), vhost?.drop(), smtp?.close()]);
  }, 60_000);

  const env = () => ({ ...batonEnv(db, vhost), DISABLED_JOB_TYPES: '', SMTP_URL: smtp.url, MAIL_FROM, WORKER_RATE_LIMITS: `emails=${RATE}/s`, WORKER_CONCURRENCY: '8' });

  /** Posts `count` emails at once and resolves with the times the server's acceptances were recorded, once all are done. */
  async function burst(api: BatonProcess, count: number): Promise<Date[]> {
    const answers = await Promise.all(Array.from({ length: count }, (_, index) => post(api.url, '/v1/emails', welcome(`user-${index}@example.com`))));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 202));
    for (const answer of answers) expect((await waitForJob(api, answer.body.jobId, undefined, 60_000)).status).toBe('completed');
    const rows = await db.query<{ accepted_at: Date }>(`SELECT accepted_at FROM email_messages`);
    expect(rows).toHaveLength(count);
    return rows.map((row) => new Date(row.accepted_at));
  }

  it('without Redis, a worker process holds the whole rate on its own, and says so in its metrics', async () => {
    let api: BatonProcess;
    ({ api, processes } = await startBaton(env()));
    const rate = rateOf(await burst(api, 60));
    expect(rate).toBeGreaterThan(RATE * 0.9);
    expect(rate).toBeLessThan(RATE * 1.1);
    for (const worker of processes.slice(-1)) {
      expect(await sample(worker.url, 'baton_worker_rate_limit_shared{queue="emails"}')).toBe(0);
      expect(await sample(worker.url, 'baton_worker_rate_limit_wait_seconds_count{queue="emails"}')).toBe(60);
    }
  }, 120_000);

  describeWithRedis('two worker processes share one limit through Redis', 'across worker processes', () => {
    it('holds the rate within 10 % across two worker processes, each of which takes a share', async () => {
      let api: BatonProcess;
      let workers: BatonProcess[];
      ({ api, workers, processes } = await startBaton({ ...env(), REDIS_URL }, { workers: [{}, {}] }));
      const rate = rateOf(await burst(api, 100));
      expect(rate).toBeGreaterThan(RATE * 0.9);
      expect(rate).toBeLessThan(RATE * 1.1);
      for (const worker of workers) {
        expect(await sample(worker.url, 'baton_worker_rate_limit_shared{queue="emails"}')).toBe(1);
        expect(await sample(worker.url, 'baton_jobs_completed_total{type="emails"}')).toBeGreaterThan(0);
      }
    }, 120_000);
  });
});

describe('npm start without SMTP_URL: emails as .eml files', () => {
  let db: TestDatabase;
  let dataDir: string;
  let standalone: BatonProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('baton_e2e_email_files');
    dataDir = mkdtempSync(join(tmpdir(), 'baton-mail-'));
  });

  afterAll(async () => {
    await standalone?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('writes each email as an .eml file under BATON_DATA_DIR/mail and logs its path', async () => {
    standalone = await startStandalone({ DATABASE_URL: db.url, BATON_DATA_DIR: dataDir, DISABLED_JOB_TYPES: '', LOG_LEVEL: 'info' });
    const accepted = await post(standalone.url, '/v1/emails', welcome('ada@example.com'));
    const job = await waitForJob(standalone, accepted.body.jobId);
    expect(job.status).toBe('completed');

    const file = join(dataDir, 'mail', `${job.id}@baton.invalid.eml`);
    expect(readdirSync(join(dataDir, 'mail'))).toEqual([`${job.id}@baton.invalid.eml`]);
    const email = await parseEmail(readFileSync(file));
    expect(email).toMatchObject({ messageId: `<${job.id}@baton.invalid>`, to: ['ada@example.com'], from: ['baton@baton.invalid'] });
    expect(email.text).toContain('Ada');
    expect(email.html).toContain('Ada');
    await waitFor('the log line naming the file', async () => (standalone!.logs.includes(file) ? true : undefined));
    const [row] = await db.query<{ response: string }>(`SELECT response FROM email_messages WHERE job_id = $1`, [job.id]);
    expect(row.response).toBe(`written to ${file}`);
  });
});
