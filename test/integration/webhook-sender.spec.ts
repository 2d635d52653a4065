/**
 * WebhookSender against real HTTP servers on loopback ports: a slow or
 * huge answer cannot hold it, it never follows a redirect, and it connects
 * only where the address policy allows, checked at connection time.
 */
import { once } from 'node:events';
import { createServer, Server, ServerResponse, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@baton/config';
import { WebhookAddressPolicy, WebhookSender } from '@baton/webhooks';

describe(WebhookSender.name, () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end('ok');

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.url ?? '');
      handler(request, response);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => (seen.length = 0));

  function sender(env: Record<string, string> = {}): WebhookSender {
    const config = loadConfig({ WEBHOOK_ALLOW_HTTP: '1', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_TIMEOUT_MS: '500', ...env });
    return new WebhookSender(new WebhookAddressPolicy(config), config);
  }

  const webhook = (path: string) => ({ url: `${base}${path}`, headers: { 'webhook-id': 'msg_1' }, body: '{"type":"job.completed"}' });

  it('POSTs the body with the given headers and records the answer', async () => {
    let received: { method?: string; headers?: Record<string, unknown>; body?: string } = {};
    handler = (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received = { method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString() };
        response.writeHead(202).end('thanks');
      });
    };
    const attempt = await sender().send(webhook('/ok'));
    expect(attempt).toEqual({ at: expect.any(String), statusCode: 202, durationMs: expect.any(Number), error: null, responseExcerpt: 'thanks' });
    expect(received).toMatchObject({ method: 'POST', headers: { 'webhook-id': 'msg_1', 'content-type': 'application/json' }, body: '{"type":"job.completed"}' });
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const attempt = await sender().send(webhook('/silent'));
    expect(attempt).toMatchObject({ statusCode: null, error: 'no answer within 500 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up on an answer that trickles in past the timeout', async () => {
    handler = (_request, response) => {
      response.writeHead(200);
      const timer = setInterval(() => response.write('.'), 50);
      response.on('close', () => clearInterval(timer));
    };
    const attempt = await sender().send(webhook('/trickle'));
    expect(attempt.statusCode).toBeNull();
    expect(attempt.error).toContain('500 ms');
  });

  it('reads at most a bounded part of a huge answer, and keeps an excerpt', async () => {
    handler = (_request, response) => {
      response.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const write = () => {
        while (response.write(chunk));
      };
      response.on('drain', write);
      write();
    };
    const attempt = await sender({ WEBHOOK_TIMEOUT_MS: '10000' }).send(webhook('/huge'));
    expect(attempt.statusCode).toBe(200);
    expect(attempt.responseExcerpt).toHaveLength(1024);
    expect(attempt.durationMs).toBeLessThan(10_000);
  });

  it('never follows a redirect', async () => {
    handler = (request, response) => {
      if (request.url === '/moved') response.writeHead(302, { location: '/elsewhere' }).end();
      else response.end('should not be reached');
    };
    const attempt = await sender().send(webhook('/moved'));
    expect(attempt.statusCode).toBe(302);
    expect(seen).toEqual(['/moved']);
  });

  it('refuses, at connection time, a name that resolves to an address not allowed', async () => {
    const port = (server.address() as AddressInfo).port;
    const attempt = await sender({ WEBHOOK_ALLOWED_HOSTS: '' }).send({ ...webhook('/x'), url: `http://localhost:${port}/x` });
    expect(attempt).toMatchObject({ statusCode: null, error: expect.stringContaining('non-public address') });
    expect(seen).toEqual([]);
  });

  it('refuses an address in the URL that is not allowed, without connecting', async () => {
    const attempt = await sender({ WEBHOOK_ALLOWED_HOSTS: '' }).send(webhook('/x'));
    expect(attempt).toMatchObject({ statusCode: null, error: expect.stringContaining('127.0.0.1 is a loopback') });
    expect(seen).toEqual([]);
  });

  it('records a refused connection as an attempt without an answer', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const attempt = await sender().send({ ...webhook('/x'), url: `http://127.0.0.1:${port}/x` });
    expect(attempt).toMatchObject({ statusCode: null, error: expect.stringContaining('ECONNREFUSED'), responseExcerpt: null });
  });
});
