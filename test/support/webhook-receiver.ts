import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST the receiver took. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status the receiver answered it with. */
  answered: number;
}

type Waiter = { path: string; count: number; resolve: () => void };

/**
 * A webhook endpoint for tests, on a loopback port: records every request
 * by path and answers with the statuses scripted for the path (one per
 * request, then 200). `close()` and `listen()` take it down and bring it
 * back on the same port, for an endpoint that is away.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, number[]>();
  private readonly waiters = new Set<Waiter>();
  private server?: Server;
  private port = 0;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.listen();
    return receiver;
  }

  async listen(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const answered = this.scripts.get(path)?.shift() ?? 200;
        this.received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
        response.writeHead(answered, { 'content-type': 'text/plain' }).end(`answered ${answered}`);
        this.notify();
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** The URL of a path on this receiver. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The statuses the next requests to `path` get, in order; 200 after them. */
  script(path: string, statuses: number[]): void {
    this.scripts.set(path, [...statuses]);
  }

  requestsTo(path: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.path === path);
  }

  /** Resolves once `path` has had `count` requests; fails after `timeoutMs`. */
  async waitForRequests(path: string, count: number, timeoutMs = 20_000): Promise<ReceivedWebhook[]> {
    if (this.requestsTo(path).length < count) {
      let timer: NodeJS.Timeout | undefined;
      let waiter: Waiter | undefined;
      try {
        await Promise.race([
          new Promise<void>((resolve) => {
            waiter = { path, count, resolve };
            this.waiters.add(waiter);
          }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} requests to ${path} (got ${this.requestsTo(path).length})`)), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        if (waiter) this.waiters.delete(waiter);
      }
    }
    return this.requestsTo(path);
  }

  private notify(): void {
    for (const waiter of this.waiters) {
      if (this.requestsTo(waiter.path).length >= waiter.count) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Stops answering: connections to its port are refused until `listen()`. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
