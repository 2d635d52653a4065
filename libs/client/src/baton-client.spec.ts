import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { BatonApiError } from './baton-api-error';
import { BatonClient } from './baton-client';
import { retryDelayMs } from './retrying-fetch';

/** A real HTTP server answering each request with the next of `answers`, recording what it received. */
async function serve(answers: Array<{ status: number; headers?: Record<string, string>; body?: unknown }>) {
  const received: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)];
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

const ACCEPTED = { jobId: '5b0f5b0f-0000-4000-8000-000000000001', status: 'queued', statusUrl: '/v1/jobs/5b0f5b0f-0000-4000-8000-000000000001' };
const TOO_MANY = { status: 429, headers: { 'retry-after': '2' }, body: { statusCode: 429, error: 'Too Many Requests', message: 'slow down' } };
const WORKOUT = { userId: 'user-1', activity: 'run' as const, startedAt: '2026-11-20T07:30:00Z', durationSec: 60 };

describe(BatonClient.name, () => {
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  afterEach(async () => server?.close());

  function client(slept: number[], maxAttempts = 3) {
    return new BatonClient({ baseUrl: server!.url, apiKey: 'test-key', retry: { maxAttempts, sleep: async (ms) => void slept.push(ms) } });
  }

  it('sends the key, a fresh Idempotency-Key per submission, and tells a replay', async () => {
    server = await serve([{ status: 202, body: ACCEPTED }, { status: 200, headers: { 'idempotent-replayed': 'true' }, body: ACCEPTED }]);
    const baton = client([]);
    const first = await baton.submit('workouts', WORKOUT);
    const again = await baton.submit('workouts', WORKOUT, { idempotencyKey: first.idempotencyKey });
    expect(first).toMatchObject({ ...ACCEPTED, replayed: false });
    expect(again).toMatchObject({ replayed: true, idempotencyKey: first.idempotencyKey });
    expect(first.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.received.map((request) => [request.method, request.url, request.headers.authorization])).toEqual([
      ['POST', '/v1/workouts', 'Bearer test-key'],
      ['POST', '/v1/workouts', 'Bearer test-key'],
    ]);
    expect(JSON.parse(server.received[0].body)).toEqual(WORKOUT);
  });

  it('sends a batch with a fresh key for each item without one, and returns each result with its key', async () => {
    const results = [
      { index: 0, status: 202, jobId: ACCEPTED.jobId, statusUrl: ACCEPTED.statusUrl },
      { index: 1, status: 400, errors: [{ field: 'durationSec', messages: ['durationSec must not be less than 1'] }] },
      { index: 2, status: 200, jobId: ACCEPTED.jobId, statusUrl: ACCEPTED.statusUrl, replayed: true },
    ];
    server = await serve([{ status: 200, body: { results } }]);
    const sent = await client([]).submitBatch('workouts', [WORKOUT, { ...WORKOUT, durationSec: 0 }, { ...WORKOUT, options: { idempotencyKey: 'own-key' } }], { requestId: 'req-1' });

    const [request] = server.received;
    expect([request.method, request.url, request.headers['x-request-id'], request.headers['idempotency-key']]).toEqual(['POST', '/v1/workouts/batch', 'req-1', undefined]);
    const items = JSON.parse(request.body).items;
    expect(items.map((item: { options: { idempotencyKey: string } }) => item.options.idempotencyKey)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/), 'own-key']);
    expect(items[0].options.idempotencyKey).not.toBe(items[1].options.idempotencyKey);
    expect(items[1]).toEqual({ ...WORKOUT, durationSec: 0, options: { idempotencyKey: items[1].options.idempotencyKey } });
    expect(sent).toEqual(results.map((result, index) => ({ ...result, idempotencyKey: items[index].options.idempotencyKey })));
  });

  it('retries a 429 after its Retry-After, with the same body and Idempotency-Key', async () => {
    server = await serve([TOO_MANY, { status: 503, headers: { 'retry-after': '5' }, body: {} }, { status: 202, body: ACCEPTED }]);
    const slept: number[] = [];
    const submitted = await client(slept).submit('workouts', WORKOUT);
    expect(submitted.jobId).toBe(ACCEPTED.jobId);
    expect(slept).toEqual([2000, 5000]);
    expect(new Set(server.received.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(server.received.map((request) => request.body)).toEqual(Array(3).fill(JSON.stringify(WORKOUT)));
  });

  it('gives up after maxAttempts with the last answer as a BatonApiError', async () => {
    server = await serve([TOO_MANY]);
    const slept: number[] = [];
    const failure = await client(slept, 2).getJob(ACCEPTED.jobId).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BatonApiError);
    expect(failure).toMatchObject({ status: 429, body: { message: 'slow down' } });
    expect(server.received).toHaveLength(2);
    expect(slept).toEqual([2000]);
  });

  it('does not wait longer than maxDelayMs: an answer asking for more is handed back', async () => {
    server = await serve([{ ...TOO_MANY, headers: { 'retry-after': '120' } }]);
    const failure = await client([]).listJobs().catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 429 });
    expect(server.received).toHaveLength(1);
  });

  it('does not retry other errors', async () => {
    server = await serve([{ status: 404, body: { statusCode: 404, error: 'Not Found', message: 'No job' } }]);
    await expect(client([]).getJob(ACCEPTED.jobId)).rejects.toMatchObject({ status: 404 });
    expect(server.received).toHaveLength(1);
  });

  it('retries dead jobs with the body given, and purges a queue\'s dead letters', async () => {
    server = await serve([{ status: 200, body: { retried: 0, wouldRetry: 3 } }, { status: 200, body: { queue: 'invoices.dead', purged: 2 } }]);
    const baton = client([]);
    expect(await baton.retryDead({ type: 'invoices', dryRun: true })).toEqual({ retried: 0, wouldRetry: 3 });
    expect(await baton.purgeDeadLetters('invoices')).toEqual({ queue: 'invoices.dead', purged: 2 });
    expect(server.received.map((request) => [request.method, request.url, request.body])).toEqual([
      ['POST', '/v1/jobs/retry-dead', JSON.stringify({ type: 'invoices', dryRun: true })],
      ['POST', '/v1/queues/invoices/dead-letters/purge', ''],
    ]);
  });

  it('waits for a finished job, reading it every intervalMs', async () => {
    const job = (status: string) => ({ status: 200, body: { ...ACCEPTED, id: ACCEPTED.jobId, status } });
    server = await serve([job('queued'), job('processing'), job('completed')]);
    const slept: number[] = [];
    const finished = await client(slept).waitForJob(ACCEPTED.jobId, { intervalMs: 25 });
    expect(finished.status).toBe('completed');
    expect(slept).toEqual([25, 25]);
  });

  it('stops waiting after timeoutMs', async () => {
    server = await serve([{ status: 200, body: { id: ACCEPTED.jobId, status: 'queued' } }]);
    const baton = new BatonClient({ baseUrl: server.url, apiKey: 'k', retry: { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) } });
    await expect(baton.waitForJob(ACCEPTED.jobId, { timeoutMs: 100, intervalMs: 20 })).rejects.toThrow(/still queued after 100 ms/);
  });
});

describe(retryDelayMs.name, () => {
  it.each<[string | null, number, number]>([
    ['3', 1, 3000],
    ['0', 2, 0],
    [null, 1, 1000],
    [null, 3, 4000],
    ['Wed, 21 Oct 2015 07:28:10 GMT', 1, 10_000],
  ])('Retry-After %p on attempt %p waits %p ms', (header, attempt, expected) => {
    expect(retryDelayMs(header, attempt, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(expected);
  });
});
