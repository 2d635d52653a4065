/**
 * Helpers shared by the end-to-end suites (not a suite itself: the name does
 * not end in .e2e-spec.ts). They only talk to Baton from the outside: HTTP,
 * SQL on the suite's own database, AMQP on the suite's own vhost.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { BatonProcess, createTestDatabase, Exit, RABBITMQCTL, TestDatabase, TestVhost, TEST_TENANT, waitFor, withApiKey } from '../support';

const run = promisify(execFile);

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
  bytes: Buffer;
  text: string;
  /** How long the answer took, in milliseconds. */
  ms: number;
}

export interface RequestOptions {
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as it is; set the Content-Type (or not) with `headers`. */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** The API key to send: the suite's TEST_API_KEY by default, none with null (an Authorization in `headers` wins). */
  apiKey?: string | null;
}

/** One HTTP request to a Baton process; never throws for an HTTP status. */
export async function request<T = any>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const given = options.headers ?? {};
  const headers: Record<string, string> = options.apiKey === null ? { ...given } : withApiKey(given, options.apiKey);
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const started = Date.now();
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const bytes = Buffer.from(await response.arrayBuffer());
  const ms = Date.now() - started;
  const text = bytes.toString('utf8');
  let parsed: unknown;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: response.status, headers: response.headers, body: parsed as T, bytes, text, ms };
}

export const post = (baseUrl: string, path: string, json: unknown, headers: Record<string, string> = {}) =>
  request(baseUrl, 'POST', path, { json, headers });

export const get = <T = any>(baseUrl: string, path: string, headers: Record<string, string> = {}) => request<T>(baseUrl, 'GET', path, { headers });

export interface JobView {
  id: string;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  result: Record<string, unknown> | null;
  error: string | null;
  errors: Array<{ attempt: number; at: string; message: string; stack?: string }>;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export const FINISHED = ['completed', 'dead'];

/**
 * Polls GET /v1/jobs/:id (with `apiKey`, or the suite's key) until the job
 * is in one of `statuses` (by default a final one), and returns its view.
 * Assert the status on what comes back, so that a job that went the wrong
 * way fails at once with the real status.
 */
export async function waitForJob(api: BatonProcess, jobId: string, statuses: string[] = FINISHED, timeoutMs = 20_000, apiKey?: string): Promise<JobView> {
  let last: unknown;
  try {
    return await waitFor(
      `job ${jobId} to be ${statuses.join(' or ')}`,
      async () => {
        const answer = await request<JobView>(api.url, 'GET', `/v1/jobs/${jobId}`, { apiKey });
        last = answer.body ?? answer.status;
        return answer.status === 200 && statuses.includes(answer.body.status) ? answer.body : undefined;
      },
      timeoutMs,
      50,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

/** An AMQP connection of the test's own to the suite's vhost, with a confirm channel. */
export interface Broker {
  connection: amqp.ChannelModel;
  channel: amqp.ConfirmChannel;
  /** Publishes and waits for the broker's confirm. */
  publish(exchange: string, routingKey: string, body: Buffer | string, options?: amqp.Options.Publish): Promise<void>;
  /** Passive declare: the queue's ready message count and consumers (fails if the queue does not exist). */
  checkQueue(queue: string): Promise<amqp.Replies.AssertQueue>;
  close(): Promise<void>;
}

export async function openBroker(vhost: TestVhost): Promise<Broker> {
  const connection = await amqp.connect(vhost.url);
  const channel = await connection.createConfirmChannel();
  return {
    connection,
    channel,
    async publish(exchange, routingKey, body, options = {}) {
      channel.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
      await channel.waitForConfirms();
    },
    async checkQueue(queue) {
      // On a channel of its own: a passive declare of a missing queue closes its channel.
      const probe = await connection.createChannel();
      try {
        return await probe.checkQueue(queue);
      } finally {
        await probe.close().catch(() => undefined);
      }
    },
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/** Reads a queue (a dead-letter queue) into memory, so that tests can look for their own message in it. */
export class QueueCollector {
  readonly messages: amqp.GetMessage[] = [];

  constructor(
    private readonly broker: Broker,
    readonly queue: string,
  ) {}

  async drain(): Promise<void> {
    for (;;) {
      const message = await this.broker.channel.get(this.queue, { noAck: true });
      if (message === false) return;
      this.messages.push(message);
    }
  }

  /** Waits until a message matching `match` has arrived in the queue. */
  async waitFor(what: string, match: (message: amqp.GetMessage) => boolean, timeoutMs = 20_000): Promise<amqp.GetMessage> {
    return waitFor(
      `${what} in ${this.queue}`,
      async () => {
        await this.drain();
        return this.messages.find(match);
      },
      timeoutMs,
      50,
    );
  }

  withMessageId(messageId: string): amqp.GetMessage[] {
    return this.messages.filter((message) => message.properties.messageId === messageId);
  }
}

export function header(message: amqp.Message, name: string): string | undefined {
  const value = message.properties.headers?.[name];
  return value === undefined ? undefined : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

export interface QueueDepth {
  ready: number;
  unacked: number;
}

/**
 * Ready and unacknowledged messages of every queue in the vhost, as the broker
 * counts them. Unlike a passive declare, this sees deliveries a worker holds
 * but has not settled yet.
 */
export async function queueDepths(vhost: TestVhost): Promise<Record<string, QueueDepth>> {
  const { stdout } = await run(RABBITMQCTL, ['list_queues', '-p', vhost.name, '-q', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged']);
  const depths: Record<string, QueueDepth> = {};
  for (const line of stdout.split('\n')) {
    const [name, ready, unacked] = line.trim().split(/\s+/);
    if (name && /^\d+$/.test(ready ?? '') && /^\d+$/.test(unacked ?? '')) depths[name] = { ready: Number(ready), unacked: Number(unacked) };
  }
  return depths;
}

/** Waits until `queue` holds no message at all: none ready, none delivered and unsettled. */
export async function waitUntilSettled(vhost: TestVhost, queue: string, timeoutMs = 20_000): Promise<void> {
  let last: QueueDepth | undefined;
  await waitFor(
    `queue ${queue} to be empty and fully acknowledged`,
    async () => {
      last = (await queueDepths(vhost))[queue];
      if (!last) throw new Error(`no queue ${queue}`);
      return last.ready === 0 && last.unacked === 0 ? true : undefined;
    },
    timeoutMs,
    100,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
  });
}

/** Inserts a job row as the API would (after its commit), without publishing it. */
export async function insertJob(
  db: TestDatabase,
  job: { id: string; type: 'workouts' | 'invoices'; payload: object; maxAttempts?: number; published?: boolean; ageSeconds?: number },
): Promise<void> {
  await db.query(
    `INSERT INTO jobs (id, type, tenant, payload, max_attempts, correlation_id, published_at, created_at, updated_at)
     VALUES ($1, $2, $8, $3, $4, $5,
       CASE WHEN $6 THEN now() ELSE NULL END,
       now() - make_interval(secs => $7), now() - make_interval(secs => $7))`,
    [job.id, job.type, JSON.stringify(job.payload), job.maxAttempts ?? 3, `e2e-${job.id}`, job.published ?? true, job.ageSeconds ?? 0, TEST_TENANT],
  );
}

export async function countRows(db: TestDatabase, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ count: string }>(sql, params);
  return Number(row.count);
}

/** A database with nothing in it, not even Baton's migrations (createTestDatabase migrates); embedded in embedded mode. */
export async function createEmptyDatabase(prefix = 'baton_e2e_empty'): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  return createTestDatabase(prefix, { migrate: false });
}

/**
 * Stops processes with SIGTERM and returns how each ended, with its output,
 * so that a test can assert a clean exit and see why it was not.
 */
export async function stopAll(processes: Array<BatonProcess | undefined>): Promise<Array<Exit & { logs: string }>> {
  // Each process once, even when it plays several parts (the standalone process is API and worker).
  const distinct = [...new Set(processes.filter((child): child is BatonProcess => child !== undefined))];
  return Promise.all(distinct.map(async (child) => ({ ...(await child.stop('SIGTERM')), logs: child.logs })));
}

/**
 * Waits until a process answers GET /health/live (it may not be ready), and
 * fails at once, with its output, if it exits instead.
 */
export async function waitUntilLive(child: BatonProcess, timeoutMs = 20_000): Promise<void> {
  const state = await waitFor(
    `${child.url} to be live`,
    async () => {
      if (!child.running) return 'exited';
      return (await get(child.url, '/health/live')).status === 200 ? 'live' : undefined;
    },
    timeoutMs,
    100,
  );
  if (state === 'exited') {
    const exit = await child.exited;
    throw new Error(`process exited (code ${exit.code}, signal ${exit.signal}) instead of going live:\n${child.logs.slice(-3000)}`);
  }
}

/** The number of pages a PDF declares in its page tree (the largest /Count), and its /Type /Page objects. */
export function pdfPages(pdf: Buffer): { count: number; pageObjects: number } {
  const text = pdf.toString('latin1');
  const counts = [...text.matchAll(/\/Count\s+(\d+)/g)].map((match) => Number(match[1]));
  const pageObjects = [...text.matchAll(/\/Type\s*\/Page(?![a-zA-Z])/g)].length;
  return { count: counts.length > 0 ? Math.max(...counts) : 0, pageObjects };
}

export const POISON_MESSAGE = 'e2e injected failure: this workout cannot be saved';

/** Workouts of users named `poison-*` fail every attempt while the poison is on (setPoison). */
export async function installPoison(db: TestDatabase): Promise<void> {
  await db.query(`CREATE TABLE e2e_poison_switch (poisoned boolean NOT NULL)`);
  await db.query(`INSERT INTO e2e_poison_switch VALUES (true)`);
  await db.query(`CREATE FUNCTION e2e_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.user_id LIKE 'poison-%' AND (SELECT poisoned FROM e2e_poison_switch) THEN RAISE EXCEPTION '${POISON_MESSAGE}'; END IF;
      RETURN NEW;
    END $$`);
  await db.query(`CREATE TRIGGER e2e_poison BEFORE INSERT ON workouts FOR EACH ROW EXECUTE FUNCTION e2e_poison()`);
}

/** Turns the poison on (the cause of the failures is back) or off (fixed). */
export async function setPoison(db: TestDatabase, poisoned: boolean): Promise<void> {
  await db.query(`UPDATE e2e_poison_switch SET poisoned = $1`, [poisoned]);
}
