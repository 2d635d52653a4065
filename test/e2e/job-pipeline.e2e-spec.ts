/**
 * The whole pipeline through the built processes: the API accepts a job, the
 * queue carries it, a worker stores the result in PostgreSQL, and the API
 * reads it back. In services mode an API and a worker process on the real
 * PostgreSQL and RabbitMQ; in embedded mode the standalone process on an
 * embedded PostgreSQL and its in-process queue. One Baton serves every test
 * of this file.
 */
import { randomUUID } from 'node:crypto';
import { BatonClient, JobType } from '@baton/client';
import { batonEnv, BatonProcess, createTestBroker, createTestDatabase, invoiceBody, startBaton, TEST_API_KEY, TestDatabase, TestVhost, waitFor, workoutBody } from '../support';
import { get, JobView, pdfPages, post, request, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

const JOB_FIELDS = ['attempts', 'completedAt', 'createdAt', 'error', 'errors', 'id', 'maxAttempts', 'result', 'runAt', 'scheduleId', 'status', 'type', 'updatedAt'];
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('job pipeline: from the API through the queue to a worker and back', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;
  let worker: BatonProcess;
  /** The happy paths go through the typed client, as a mobile backend's would; the rest is raw HTTP. */
  let baton: BatonClient;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_pipeline'), createTestBroker('baton_e2e_pipeline')]);
    ({ api, worker, processes } = await startBaton(batonEnv(db, vhost)));
    baton = new BatonClient({ baseUrl: api.url, apiKey: TEST_API_KEY });
  });

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  /** Submits a job through the client and waits for it to finish; returns the acceptance and the finished job. */
  async function runJob(type: JobType, body: Record<string, unknown>) {
    const accepted = await baton.submit(type, body as never);
    expect(accepted).toMatchObject({ status: 'queued', replayed: false });
    const job = await baton.waitForJob(accepted.jobId, { timeoutMs: 20_000, intervalMs: 50 });
    return { accepted, job };
  }

  describe('POST /v1/workouts', () => {
    it('answers 202 with the job id, status and status URL, a matching Location and a request id', async () => {
      const answer = await post(api.url, '/v1/workouts', workoutBody());

      expect(answer.status).toBe(202);
      expect(Object.keys(answer.body).sort()).toEqual(['jobId', 'status', 'statusUrl']);
      expect(answer.body.jobId).toMatch(UUID_PATTERN);
      expect(answer.body).toEqual({ jobId: answer.body.jobId, status: 'queued', statusUrl: `/v1/jobs/${answer.body.jobId}` });
      expect(answer.headers.get('location')).toBe(answer.body.statusUrl);
      expect(answer.headers.get('x-request-id')).toMatch(UUID_PATTERN);
      expect(answer.headers.get('idempotent-replayed')).toBeNull();
    });

    it('echoes a client X-Request-Id as it is, carries it with the job, and replaces one that is not a plain token', async () => {
      const requestId = 'e2e-Client.Req:42_x';
      const answer = await post(api.url, '/v1/workouts', workoutBody(), { 'X-Request-Id': requestId });
      expect(answer.status).toBe(202);
      expect(answer.headers.get('x-request-id')).toBe(requestId);
      const [row] = await db.query<{ correlation_id: string }>('SELECT correlation_id FROM jobs WHERE id = $1', [answer.body.jobId]);
      expect(row.correlation_id).toBe(requestId);

      // Also on an error answer: header and body carry the same id.
      const refused = await post(api.url, '/v1/workouts', workoutBody({ durationSec: -1 }), { 'X-Request-Id': requestId });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('x-request-id')).toBe(requestId);
      expect(refused.body.requestId).toBe(requestId);

      const unsafe = await post(api.url, '/v1/workouts', workoutBody(), { 'X-Request-Id': 'two words; <script>' });
      expect(unsafe.status).toBe(202);
      expect(unsafe.headers.get('x-request-id')).toMatch(UUID_PATTERN);
    });

    it('runs the job to completed with result {workoutId}; GET /v1/jobs/:id has exactly the documented fields', async () => {
      const { accepted, job } = await runJob('workouts', workoutBody());

      expect(job.status).toBe('completed');
      const answer = await get<JobView>(api.url, accepted.statusUrl);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(answer.body).sort()).toEqual(JOB_FIELDS);
      const view = answer.body;
      expect(view).toMatchObject({ id: accepted.jobId, type: 'workouts', status: 'completed', attempts: 1, maxAttempts: 5, error: null, errors: [] });
      expect(Object.keys(view.result ?? {})).toEqual(['workoutId']);
      expect(view.result!.workoutId).toMatch(UUID_PATTERN);
      for (const field of ['createdAt', 'updatedAt', 'completedAt'] as const) expect(view[field]).toMatch(ISO_TIMESTAMP);
      expect(Date.parse(view.completedAt!)).toBeGreaterThanOrEqual(Date.parse(view.createdAt));
      expect(Date.parse(view.updatedAt)).toBeGreaterThanOrEqual(Date.parse(view.createdAt));

      // The job row agrees, and the API marked the first publish as confirmed. It does so
      // after the confirm, which may come after the worker has already completed the job.
      const [row] = await db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [view.id]);
      expect(row.status).toBe('completed');
      const publishedAt = await waitFor('published_at of the job', async () => {
        const [current] = await db.query<{ published_at: Date | null }>('SELECT published_at FROM jobs WHERE id = $1', [view.id]);
        return current.published_at ?? undefined;
      }, 5_000);
      expect(publishedAt).toBeInstanceOf(Date);
    });

    it('stores the workout with every field and its sets in the order sent', async () => {
      const sets = Array.from({ length: 12 }, (_, index) => ({
        exercise: `exercise-${String.fromCharCode(108 - index)}`, // descending names: order must come from position, not name
        reps: 12 - index,
        ...(index % 3 === 0 ? {} : { weightKg: 20 + index * 2.5 }),
      }));
      const body = workoutBody({ userId: 'user-sets', activity: 'run', distanceM: 10_123.5, notes: 'intervals ✓', sets });
      const { accepted, job } = await runJob('workouts', body);
      expect(job.status).toBe('completed');
      const workoutId = job.result!.workoutId as string;

      expect(await baton.getWorkout(workoutId)).toEqual({
        id: workoutId,
        jobId: accepted.jobId,
        userId: 'user-sets',
        activity: 'run',
        startedAt: '2026-11-20T07:30:00.000Z',
        durationSec: 3600,
        distanceM: 10_123.5,
        calories: 420,
        notes: 'intervals ✓',
        sets: sets.map((set) => ({ exercise: set.exercise, reps: set.reps, weightKg: set.weightKg ?? null })),
        createdAt: expect.stringMatching(ISO_TIMESTAMP),
      });
    });

    it('stores a workout without optional fields as nulls and no sets', async () => {
      const body = { userId: 'user-min', activity: 'yoga', startedAt: '2026-11-20T08:00:00+02:00', durationSec: 60 };
      const { job } = await runJob('workouts', body);
      expect(job.status).toBe('completed');
      expect(await baton.getWorkout(job.result!.workoutId as string)).toMatchObject({ startedAt: '2026-11-20T06:00:00.000Z', distanceM: null, calories: null, notes: null, sets: [] });
    });
    it.each([
      ['+14:00', 'the easternmost offset in use'],
      ['-12:00', 'the westernmost offset in use'],
      ['+05:45', 'a quarter-hour offset'],
    ])('stores a startedAt with offset %s (%s) as the right instant', async (offset) => {
      const startedAt = `2026-11-20T07:30:00${offset}`;
      const accepted = await post(api.url, '/v1/workouts', workoutBody({ startedAt }));
      expect(accepted.status).toBe(202);
      const job = await waitForJob(api, accepted.body.jobId, ['completed', 'failed', 'dead']);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
      const workout = await get(api.url, `/v1/workouts/${job.result!.workoutId}`);
      expect(workout.body.startedAt).toBe(new Date(startedAt).toISOString());
    });

    // RFC 3339 allows offsets up to +/-23:59; PostgreSQL's timestamptz only +/-15:59.
    // Whatever the API accepts must be storable: refuse such a value, or store its instant.
    it.each(['+23:59', '-16:00'])('never accepts a startedAt with offset %s only for the job to fail', async (offset) => {
      const startedAt = `2026-11-20T07:30:00${offset}`;
      const answer = await post(api.url, '/v1/workouts', workoutBody({ startedAt }));
      expect([202, 400]).toContain(answer.status);
      if (answer.status === 400) {
        expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(['startedAt']);
        return;
      }
      // Accepted: then its first attempt must store it.
      const job = await waitForJob(api, answer.body.jobId, ['completed', 'failed', 'dead']);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
      const workout = await get(api.url, `/v1/workouts/${job.result!.workoutId}`);
      expect(workout.body.startedAt).toBe(new Date(startedAt).toISOString());
    });
  });

  describe('POST /v1/invoices', () => {
    it('runs to completed with result {invoiceId, pdfUrl}; the invoice has the computed totals', async () => {
      const { accepted, job } = await runJob('invoices', invoiceBody());

      expect(job).toMatchObject({ type: 'invoices', status: 'completed', attempts: 1, error: null });
      expect(Object.keys(job.result ?? {}).sort()).toEqual(['invoiceId', 'pdfUrl']);
      const invoiceId = job.result!.invoiceId as string;
      expect(invoiceId).toMatch(UUID_PATTERN);
      expect(job.result!.pdfUrl).toBe(`/v1/invoices/${invoiceId}/pdf`);

      expect(await baton.getInvoice(invoiceId)).toEqual({
        id: invoiceId,
        jobId: accepted.jobId,
        // The suite's tenant has no invoice profile: the default prefix, no seller.
        number: expect.stringMatching(/^INV-2026-\d{6}$/),
        orderId: 'order-1',
        seller: null,
        customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical Row, London' },
        currency: 'EUR',
        issuedAt: '2026-11-20',
        lines: [
          { description: 'Annual plan', quantity: 1, unitPriceCents: 9900, totalCents: 9900 },
          { description: 'Extra seat', quantity: 3, unitPriceCents: 1999, totalCents: 5997 },
        ],
        // 9900 + 3 x 1999 = 15897; 20 % of it is 3179.4, rounded half up to 3179.
        subtotalCents: 15897,
        taxRatePercent: 20,
        taxCents: 3179,
        totalCents: 19076,
        pdfUrl: job.result!.pdfUrl,
        createdAt: expect.stringMatching(ISO_TIMESTAMP),
      });
    });

    it('rounds tax half up to the cent, with fractional rates and without a tax rate', async () => {
      const cases = [
        // 10 % of 2505 = 250.5 -> 251 (half up, not half even)
        { body: invoiceBody({ orderId: 'half-up', lines: [{ description: 'x', quantity: 1, unitPriceCents: 2505 }], taxRatePercent: 10 }), subtotal: 2505, tax: 251 },
        // 8.875 % of 10000 = 887.5 -> 888
        { body: invoiceBody({ orderId: 'fraction', lines: [{ description: 'x', quantity: 4, unitPriceCents: 2500 }], taxRatePercent: 8.875 }), subtotal: 10000, tax: 888 },
        // no rate: no tax
        { body: invoiceBody({ orderId: 'no-tax', taxRatePercent: undefined }), subtotal: 15897, tax: 0 },
      ];
      const jobs = await Promise.all(cases.map(({ body }) => runJob('invoices', body)));
      for (const [index, { job }] of jobs.entries()) {
        expect(job.status).toBe('completed');
        const answer = await get(api.url, `/v1/invoices/${job.result!.invoiceId}`);
        expect(answer.status).toBe(200);
        const { subtotal, tax } = cases[index];
        expect({ orderId: answer.body.orderId, subtotalCents: answer.body.subtotalCents, taxCents: answer.body.taxCents, totalCents: answer.body.totalCents }).toEqual({
          orderId: cases[index].body.orderId,
          subtotalCents: subtotal,
          taxCents: tax,
          totalCents: subtotal + tax,
        });
      }
    });

    it('serves the PDF at pdfUrl as application/pdf', async () => {
      const { job } = await runJob('invoices', invoiceBody({ orderId: 'pdf-order' }));
      expect(job.status).toBe('completed');

      const pdf = await request(api.url, 'GET', job.result!.pdfUrl as string);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toMatch(/^application\/pdf/);
      const { number } = (await get(api.url, `/v1/invoices/${job.result!.invoiceId}`)).body;
      expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="${number}.pdf"`);
      expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.bytes.length).toBeGreaterThan(1000);
      expect(Number(pdf.headers.get('content-length') ?? pdf.bytes.length)).toBe(pdf.bytes.length);
      expect(pdf.bytes.subarray(-32).toString('latin1')).toContain('%%EOF');
      expect(pdfPages(pdf.bytes).count).toBe(1);
    });

    it('renders a 200-line invoice on more than one page, with every line and the right totals', async () => {
      const lines = Array.from({ length: 200 }, (_, index) => ({
        description: `Line item number ${index + 1} with a description long enough to take some room`,
        quantity: (index % 7) + 1,
        unitPriceCents: 1000 + index * 13,
      }));
      const subtotal = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
      const tax = Math.floor((subtotal * 19) / 100 + 0.5);
      const { job } = await runJob('invoices', invoiceBody({ orderId: 'long-order', lines, taxRatePercent: 19 }));
      expect(job.status).toBe('completed');

      const invoice = await get(api.url, `/v1/invoices/${job.result!.invoiceId}`);
      expect(invoice.status).toBe(200);
      expect(invoice.body.lines).toHaveLength(200);
      expect(invoice.body.lines.map((line: { description: string }) => line.description)).toEqual(lines.map((line) => line.description));
      expect(invoice.body).toMatchObject({ subtotalCents: subtotal, taxCents: tax, totalCents: subtotal + tax });

      const pdf = await request(api.url, 'GET', job.result!.pdfUrl as string);
      expect(pdf.status).toBe(200);
      expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const pages = pdfPages(pdf.bytes);
      expect(pages.count).toBeGreaterThanOrEqual(2);
      expect(pages.pageObjects).toBe(pages.count);
    });
  });

  describe('reading', () => {
    it('finds a job by its id in upper case too', async () => {
      const accepted = await post(api.url, '/v1/workouts', workoutBody());
      expect(accepted.status).toBe(202);
      const answer = await get(api.url, `/v1/jobs/${accepted.body.jobId.toUpperCase()}`);
      expect(answer.status).toBe(200);
      expect(answer.body.id).toBe(accepted.body.jobId);
    });

    it.each([
      ['job', '/v1/jobs/:id'],
      ['workout', '/v1/workouts/:id'],
      ['invoice', '/v1/invoices/:id'],
      ['invoice PDF', '/v1/invoices/:id/pdf'],
    ])('answers 404 for an unknown %s id', async (_, template) => {
      const answer = await get(api.url, template.replace(':id', randomUUID()));
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ statusCode: 404, error: 'Not Found', requestId: answer.headers.get('x-request-id') });
    });

    it('answers 404 for a workout or invoice looked up by a job id', async () => {
      const { job } = await runJob('workouts', workoutBody());
      expect(job.status).toBe('completed');
      expect((await get(api.url, `/v1/workouts/${job.id}`)).status).toBe(404);
      expect((await get(api.url, `/v1/invoices/${job.id}`)).status).toBe(404);
      expect((await get(api.url, `/v1/invoices/${job.result!.workoutId}/pdf`)).status).toBe(404);
    });

    const MALFORMED_IDS = [
      'abc',
      '1;drop',
      "1' OR '1'='1",
      '1;DROP TABLE jobs;--',
      '00000000-0000-0000-0000-00000000000g',
      '00000000-0000-0000-0000-0000000000000',
      '00000000000000000000000000000000',
      '{00000000-0000-0000-0000-000000000000}',
      ' 00000000-0000-0000-0000-000000000000',
      'a/b',
      '%00',
      '-1',
    ];
    const ROUTES: Array<[string, string]> = [
      ['/v1/jobs/:id', 'jobId'],
      ['/v1/workouts/:id', 'workoutId'],
      ['/v1/invoices/:id', 'invoiceId'],
      ['/v1/invoices/:id/pdf', 'invoiceId'],
    ];

    it.each(ROUTES)('answers 400 naming the parameter for malformed ids in %s, never 500', async (template, parameter) => {
      for (const id of MALFORMED_IDS) {
        const path = template.replace(':id', encodeURIComponent(id));
        const answer = await get(api.url, path);
        expect({ id, status: answer.status }).toEqual({ id, status: 400 });
        expect(answer.body).toMatchObject({ statusCode: 400, errors: [{ field: parameter, messages: ['must be a UUID'] }] });
      }
    });

    it('is still ready after all of the above', async () => {
      expect((await get(api.url, '/health/ready')).status).toBe(200);
      expect((await get(worker.url, '/health/ready')).status).toBe(200);
    });
  });
});
