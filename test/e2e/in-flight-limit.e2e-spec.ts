/**
 * HTTP_MAX_IN_FLIGHT and HTTP_MAX_IN_FLIGHT_BYTES: past either bound, the
 * API answers 503 with Retry-After before reading a body, keeps answering
 * its probes, and takes requests again as soon as those in flight end; a
 * burst of bodies at the size limit, single or batch, leaves it running.
 * The API alone in services mode; the standalone process in embedded mode.
 */
import { connect, Socket } from 'node:net';
import { Baton, batonEnv, createTestBroker, createTestDatabase, startBaton, TEST_API_KEY, TestDatabase, TestVhost, waitFor, workoutBody } from '../support';
import { post, request, stopAll } from './e2e-support';

const MAX_IN_FLIGHT = 4;
/** The API's body limit for a single submission. */
const BODY_LIMIT = 1024 * 1024;
/** And for a batch. */
const BATCH_BODY_LIMIT = 5 * 1024 * 1024;
/** Two single bodies at the limit fill it. */
const MAX_IN_FLIGHT_BYTES = 2 * BODY_LIMIT;

describe('HTTP_MAX_IN_FLIGHT', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_in_flight'), createTestBroker('baton_e2e_in_flight')]);
    baton = await startBaton({ ...batonEnv(db, vhost), HTTP_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT), HTTP_MAX_IN_FLIGHT_BYTES: String(MAX_IN_FLIGHT_BYTES), HTTP_REQUEST_TIMEOUT_MS: '60000' }, { workers: [] });
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  /** A request whose headers are sent and whose body never comes: in flight until the socket is destroyed. */
  function heldRequest(contentLength = 1000): Promise<Socket> {
    const { port } = new URL(baton.api.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /v1/workouts HTTP/1.1\r\nHost: baton\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{`);
        resolve(socket);
      });
      socket.on('error', reject);
    });
  }

  /** A metric's value on the API's /metrics, `name` with its labels as written there (a scrape is not counted in flight). */
  const metric = async (name: string): Promise<number> => {
    const line = (await (await fetch(`${baton.api.url}/metrics`)).text()).split('\n').find((candidate) => candidate.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? 0);
  };
  const SHED_BY_REQUESTS = 'baton_http_requests_shed_total{reason="requests"}';
  const SHED_BY_BYTES = 'baton_http_requests_shed_total{reason="bytes"}';

  it('answers 503 with Retry-After past the bound, answers its probes meanwhile, and takes requests again once those in flight end', async () => {
    const shedBefore = await metric(SHED_BY_REQUESTS);
    const held = await Promise.all(Array.from({ length: MAX_IN_FLIGHT }, heldRequest));
    try {
      // The held requests count once their headers are read; then the next request is refused, unread.
      await waitFor('the held requests to be in flight', async () => ((await metric('baton_http_requests_in_flight')) === MAX_IN_FLIGHT ? true : undefined));
      const refused = await post(baton.api.url, '/v1/workouts', workoutBody());
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ statusCode: 503, message: 'Too many requests in flight; retry later', requestId: expect.any(String) });
      expect((await request(baton.api.url, 'GET', '/health/ready', { apiKey: null })).status).toBe(200);
      expect(await metric(SHED_BY_REQUESTS)).toBe(shedBefore + 1);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await waitFor('the held requests to end', async () => ((await metric('baton_http_requests_in_flight')) === 0 ? true : undefined));
    expect((await post(baton.api.url, '/v1/workouts', workoutBody())).status).toBe(202);
  });

  it('answers 503 unread to a body that would take the bytes in flight past HTTP_MAX_IN_FLIGHT_BYTES, and still takes requests without one', async () => {
    const shedBefore = await metric(SHED_BY_BYTES);
    // Two bodies of 1 MiB announced, of which only a byte comes: the two fill the budget.
    const held = await Promise.all([heldRequest(BODY_LIMIT), heldRequest(BODY_LIMIT)]);
    try {
      await waitFor('the held bodies to be in flight', async () => ((await metric('baton_http_request_bytes_in_flight')) === MAX_IN_FLIGHT_BYTES ? true : undefined));
      const refused = await post(baton.api.url, '/v1/workouts', workoutBody());
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ statusCode: 503, message: 'Too many requests in flight; retry later' });
      expect(await metric(SHED_BY_BYTES)).toBe(shedBefore + 1);
      // Two of four requests are in flight: one without a body is taken.
      expect((await request(baton.api.url, 'GET', '/v1/jobs')).status).toBe(200);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await waitFor('the held bodies to end', async () => ((await metric('baton_http_request_bytes_in_flight')) === 0 ? true : undefined));
    expect((await post(baton.api.url, '/v1/workouts', workoutBody())).status).toBe(202);
  });

  it('takes a request whose body alone is over HTTP_MAX_IN_FLIGHT_BYTES when nothing else is in flight', async () => {
    await waitFor('nothing in flight', async () => ((await metric('baton_http_requests_in_flight')) === 0 ? true : undefined));
    const items = Array.from({ length: 50 }, () => ({ ...workoutBody(), notes: 'x'.repeat(60_000) }));
    const body = JSON.stringify({ items });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_IN_FLIGHT_BYTES);
    const answer = await request(baton.api.url, 'POST', '/v1/workouts/batch', { body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
  });

  // How many overlap depends on the machine's speed: the bound itself is the test above.
  it('stays up through a burst of bodies at the size limit: each answered 400, 413 or 503, none lost to a crash', async () => {
    // Valid JSON of just under the limit, which the workout's rules refuse: the whole body is read and parsed.
    const big = JSON.stringify({ ...workoutBody(), notes: 'x'.repeat(BODY_LIMIT - 1024) });
    expect(Buffer.byteLength(big)).toBeLessThan(BODY_LIMIT);
    const answers = await Promise.all(Array.from({ length: 48 }, () => request(baton.api.url, 'POST', '/v1/workouts', { body: big, headers: { 'content-type': 'application/json' } })));
    const statuses = [...new Set(answers.map((answer) => answer.status))].sort();
    expect(statuses.every((status) => [400, 413, 503].includes(status))).toBe(true);
    expect((await request(baton.api.url, 'GET', '/health/live', { apiKey: null })).status).toBe(200);
    expect((await post(baton.api.url, '/v1/workouts', workoutBody())).status).toBe(202);
  }, 60_000);

  it('stays up through a burst of batches at their size limit: each answered 200, 413 or 503, none lost to a crash', async () => {
    // 50 items of just under 100 KiB, each refused by the workout's rules (notes: 2,000 characters at most): every batch taken is read, parsed and checked whole.
    const items = Array.from({ length: 50 }, () => ({ ...workoutBody(), notes: 'x'.repeat(Math.floor(BATCH_BODY_LIMIT / 50) - 1024) }));
    const big = JSON.stringify({ items });
    expect(Buffer.byteLength(big)).toBeLessThan(BATCH_BODY_LIMIT);
    const shedBefore = await metric(SHED_BY_BYTES);
    const answers = await Promise.all(Array.from({ length: 24 }, () => request(baton.api.url, 'POST', '/v1/workouts/batch', { body: big, headers: { 'content-type': 'application/json' } })));
    const statuses = [...new Set(answers.map((answer) => answer.status))].sort();
    expect(statuses.every((status) => [200, 413, 503].includes(status))).toBe(true);
    // Each batch is over the byte budget alone: only one at a time is taken.
    expect(await metric(SHED_BY_BYTES)).toBeGreaterThan(shedBefore);
    expect((await request(baton.api.url, 'GET', '/health/live', { apiKey: null })).status).toBe(200);
    expect((await post(baton.api.url, '/v1/workouts', workoutBody())).status).toBe(202);
  }, 90_000);
});
