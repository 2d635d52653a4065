import { connect } from 'node:net';
import { Baton, batonEnv, createTestBroker, createTestDatabase, postJson, startBaton, TEST_API_KEY, TestDatabase, TestVhost, workoutBody } from '../support';

/** Security headers, CORS only for configured origins, and slow clients cut off by timeouts. */
describe('hardened HTTP', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestBroker()]);
    baton = await startBaton(
      { ...batonEnv(db, vhost), HTTP_HEADERS_TIMEOUT_MS: '800', HTTP_REQUEST_TIMEOUT_MS: '1500', CORS_ORIGINS: 'https://app.example.com' },
      { workers: [] },
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(baton?.processes.map((process) => process.stop()) ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  /** Sends `raw` and resolves with what the server answered once it closed the connection. */
  function sendRaw(raw: string): Promise<{ answer: string; ms: number }> {
    const { port } = new URL(baton.api.url);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve({ answer, ms: Date.now() - started }));
    });
  }

  it('sends security headers and no X-Powered-By, on successes and errors alike', async () => {
    for (const response of [await postJson(`${baton.api.url}/v1/workouts`, workoutBody()), await postJson(`${baton.api.url}/v1/workouts`, {})]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expect(response.headers.has('x-powered-by')).toBe(false);
    }
  });

  it('answers CORS for a configured origin only', async () => {
    const allowed = await fetch(`${baton.api.url}/v1/workouts`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await postJson(`${baton.api.url}/v1/workouts`, workoutBody(), { Origin: 'https://evil.example' });
    expect(other.status).toBe(202);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('cuts off a client that never finishes its headers', async () => {
    const { answer } = await sendRaw(`POST /v1/workouts HTTP/1.1\r\nHost: baton\r\nAuthorization: Bearer ${TEST_API_KEY}\r\n`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('cuts off a client that never finishes its body, and creates no job', async () => {
    const [{ before }] = await db.query<{ before: number }>('SELECT count(*)::int AS before FROM jobs');
    const { answer } = await sendRaw(
      `POST /v1/workouts HTTP/1.1\r\nHost: baton\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"userId":"slow"`,
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    const [{ after }] = await db.query<{ after: number }>('SELECT count(*)::int AS after FROM jobs');
    expect(after).toBe(before);
  });
});

describe('CORS by default', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestBroker()]);
    baton = await startBaton(batonEnv(db, vhost), { workers: [] });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(baton?.processes.map((process) => process.stop()) ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  it('sends no CORS headers at all unless CORS_ORIGINS is set', async () => {
    const preflight = await fetch(`${baton.api.url}/v1/workouts`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const post = await postJson(`${baton.api.url}/v1/workouts`, workoutBody(), { Origin: 'https://app.example.com' });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });
});
