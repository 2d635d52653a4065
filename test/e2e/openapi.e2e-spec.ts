/**
 * The OpenAPI document and @baton/client against the built processes (the
 * API process in services mode, the standalone process in embedded mode):
 * the document is served without a key and leaves out the suite's disabled
 * emails; OPENAPI_ENABLED=false answers 404; and a backend's whole round
 * trip goes through the client.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { BatonApiError, BatonClient } from '@baton/client';
import { batonEnv, BatonProcess, createTestBroker, createTestDatabase, invoiceBody, startBaton, TEST_API_KEY, TestDatabase, TestVhost, workoutBody } from '../support';
import { stopAll, UUID_PATTERN } from './e2e-support';

describe('the OpenAPI document and the client, over HTTP', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;
  let baton: BatonClient;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_openapi'), createTestBroker('baton_e2e_openapi')]);
    ({ api, processes } = await startBaton(batonEnv(db, vhost)));
    baton = new BatonClient({ baseUrl: api.url, apiKey: TEST_API_KEY });
  });

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it('serves GET /openapi.json without a key: valid OpenAPI 3.1, without the disabled emails type', async () => {
    const answer = await fetch(`${api.url}/openapi.json`);
    expect(answer.status).toBe(200);
    const document = (await answer.json()) as { paths: Record<string, unknown> };
    await expect(SwaggerParser.validate(document as never)).resolves.toBeDefined();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/workouts', '/v1/invoices', '/v1/jobs/{jobId}']));
    expect(document.paths['/v1/emails']).toBeUndefined();
  });

  it('runs a workout and an invoice through the client: submit, wait, read back', async () => {
    const workout = await baton.submit('workouts', workoutBody() as never);
    expect(workout).toMatchObject({ jobId: expect.stringMatching(UUID_PATTERN), status: 'queued', replayed: false });
    const invoice = await baton.submit('invoices', invoiceBody() as never);

    const [workoutJob, invoiceJob] = await Promise.all([
      baton.waitForJob(workout.jobId, { timeoutMs: 20_000, intervalMs: 50 }),
      baton.waitForJob(invoice.jobId, { timeoutMs: 20_000, intervalMs: 50 }),
    ]);
    expect([workoutJob.status, invoiceJob.status]).toEqual(['completed', 'completed']);

    const saved = await baton.getWorkout(workoutJob.result!.workoutId as string);
    expect(saved).toMatchObject({ jobId: workout.jobId, userId: 'user-1', activity: 'strength', durationSec: 3600 });
    const issued = await baton.getInvoice(invoiceJob.result!.invoiceId as string);
    expect(issued).toMatchObject({ jobId: invoice.jobId, orderId: 'order-1', totalCents: 19076 });
    const pdf = await baton.getInvoicePdf(issued.id);
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');

    const page = await baton.listJobs({ type: 'workouts', limit: 100 });
    expect(page.jobs.map((job) => job.id)).toContain(workout.jobId);
  });

  it('replays a submission with its Idempotency-Key through the client, and answers errors as BatonApiError', async () => {
    const first = await baton.submit('workouts', workoutBody() as never);
    const again = await baton.submit('workouts', workoutBody() as never, { idempotencyKey: first.idempotencyKey });
    expect(again).toMatchObject({ jobId: first.jobId, replayed: true });

    const conflict = await baton.submit('workouts', workoutBody({ durationSec: 1 }) as never, { idempotencyKey: first.idempotencyKey }).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(BatonApiError);
    expect(conflict).toMatchObject({ status: 409, body: { statusCode: 409 }, requestId: expect.any(String) });
  });
});

describe('OPENAPI_ENABLED=false', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];

  afterAll(async () => {
    await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  it('answers GET /openapi.json 404 in the error shape', async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_openapi_off'), createTestBroker('baton_e2e_openapi_off')]);
    let api: BatonProcess;
    ({ api, processes } = await startBaton({ ...batonEnv(db, vhost), OPENAPI_ENABLED: 'false' }, { workers: [] }));
    const answer = await fetch(`${api.url}/openapi.json`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ statusCode: 404, error: 'Not Found', requestId: expect.any(String) });
  });
});
