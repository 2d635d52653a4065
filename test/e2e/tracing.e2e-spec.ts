/**
 * Traces, at a small OTLP/HTTP receiver of the test's own: a request with a
 * W3C `traceparent` yields one trace, the API's server span, the accept's
 * insert and publish spans, the worker's process span and its database
 * spans, in one parent chain; also when the relay published the job after
 * a RabbitMQ outage, across a retry, and for a job that went dead. Failures
 * are injected from outside Baton, by a trigger on the workouts table.
 * In embedded mode the jobs go through the in-process queue, whose spans
 * read the same; the outage needs a RabbitMQ node and runs in services mode.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import {
  batonEnv,
  BatonProcess,
  itWithServices,
  runCli,
  createTestBroker,
  createTestDatabase,
  describeWithServices,
  OtlpReceiver,
  RabbitNode,
  ReceivedSpan,
  SpanKinds,
  startBaton,
  STATUS_ERROR,
  TestDatabase,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';
import { post, stopAll, waitForJob } from './e2e-support';

const FAIL_ALWAYS_MESSAGE = 'e2e injected failure: always';
const FAIL_ONCE_MESSAGE = 'e2e injected failure: first attempt only';
const FAILURE_TRIGGERS = [
  `CREATE SEQUENCE e2e_fail_once_seq`,
  // Users whose workouts fail until the test mends them (deletes their row).
  `CREATE TABLE e2e_broken (user_id text PRIMARY KEY)`,
  `CREATE FUNCTION e2e_fail_workout() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.user_id = 'fail-always' OR EXISTS (SELECT 1 FROM e2e_broken WHERE user_id = NEW.user_id) THEN RAISE EXCEPTION '${FAIL_ALWAYS_MESSAGE}'; END IF;
     IF NEW.user_id = 'fail-once' AND nextval('e2e_fail_once_seq') = 1 THEN RAISE EXCEPTION '${FAIL_ONCE_MESSAGE}'; END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER e2e_fail_workout BEFORE INSERT ON workouts FOR EACH ROW EXECUTE FUNCTION e2e_fail_workout()`,
];

/** The exporter batches for 5 s by default; the tests would wait for it. */
const tracingEnv = (receiver: OtlpReceiver) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_BSP_SCHEDULE_DELAY: '50',
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
  JOB_MAX_ATTEMPTS: '2',
  JOB_RETRY_BASE_MS: '100',
  RELAY_INTERVAL_MS: '200',
  // A failed attempt is logged at info: its line is checked for the span's ids.
  LOG_LEVEL: 'info',
});

/** A fresh incoming trace context: `00-<trace id>-<span id>-01`. */
function incomingTrace(): { traceId: string; parentId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}

/** The spans of one accepted job, found by kind and name, each checked to be in the trace it should be. */
interface JobTrace {
  server: ReceivedSpan;
  insert: ReceivedSpan;
  /** Publishes of the job to the jobs exchange (one, or more if republished). */
  publishes: ReceivedSpan[];
  /** Process spans, by attempt. */
  processes: ReceivedSpan[];
}

async function jobTrace(receiver: OtlpReceiver, traceId: string, jobId: string, attempts: number): Promise<JobTrace> {
  return receiver.waitFor(`the spans of job ${jobId} (${attempts} attempts) in trace ${traceId}`, () => {
    const spans = receiver.trace(traceId);
    const server = spans.find((span) => span.kind === SpanKinds.server);
    const insert = spans.find((span) => span.kind === SpanKinds.client && span.name === 'INSERT jobs');
    const publishes = spans.filter((span) => span.kind === SpanKinds.producer && span.attributes['messaging.destination.name'] === 'baton.jobs');
    const processes = spans.filter((span) => span.kind === SpanKinds.consumer).sort((a, b) => Number(a.attributes['baton.job.attempt']) - Number(b.attributes['baton.job.attempt']));
    // Every process span's children are in too: its claim at least.
    const complete = processes.every((process) => spans.some((span) => span.parentSpanId === process.spanId && span.name === 'UPDATE jobs'));
    return server && insert && publishes.length > 0 && processes.length >= attempts && complete ? { server, insert, publishes, processes } : undefined;
  });
}

function expectAcceptSpans(trace: JobTrace, incoming: { traceId: string; parentId: string }, jobId: string): void {
  expect(trace.server).toMatchObject({
    traceId: incoming.traceId,
    parentSpanId: incoming.parentId,
    name: 'POST /v1/workouts',
    service: expect.stringMatching(/^baton(-api)?$/),
    attributes: expect.objectContaining({ 'http.request.method': 'POST', 'http.route': '/v1/workouts', 'url.path': '/v1/workouts', 'http.response.status_code': 202 }),
  });
  expect(trace.insert).toMatchObject({
    parentSpanId: trace.server.spanId,
    attributes: expect.objectContaining({ 'db.system.name': 'postgresql', 'db.system': 'postgresql', 'db.operation.name': 'INSERT', 'db.collection.name': 'jobs' }),
  });
  for (const publish of trace.publishes) {
    expect(publish).toMatchObject({
      name: 'publish baton.jobs',
      parentSpanId: trace.server.spanId,
      attributes: expect.objectContaining({
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'baton.jobs',
        'messaging.rabbitmq.destination.routing_key': 'workouts',
        'messaging.message.id': jobId,
        'messaging.operation.type': 'send',
      }),
    });
  }
}

function expectProcessSpan(receiver: OtlpReceiver, process: ReceivedSpan, jobId: string, attempt: number): void {
  expect(process).toMatchObject({
    name: 'process workouts',
    attributes: expect.objectContaining({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'workouts',
      'messaging.message.id': jobId,
      'messaging.operation.type': 'process',
      'baton.job.attempt': attempt,
    }),
  });
  // Its database spans are its children: the claim, and the effect's transaction or the failure's record.
  const children = receiver.trace(process.traceId).filter((span) => span.parentSpanId === process.spanId);
  expect(children).toEqual(
    expect.arrayContaining([expect.objectContaining({ name: 'UPDATE jobs', kind: SpanKinds.client, attributes: expect.objectContaining({ 'db.system.name': 'postgresql', 'db.operation.name': 'UPDATE' }) })]),
  );
  expect(process.service).toMatch(/^baton(-worker)?$/);
}

describe('tracing', () => {
  let receiver: OtlpReceiver;
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;
  let worker: BatonProcess;

  beforeAll(async () => {
    [receiver, db, vhost] = await Promise.all([OtlpReceiver.start(), createTestDatabase('baton_e2e_tracing'), createTestBroker('baton_e2e_tracing')]);
    for (const statement of FAILURE_TRIGGERS) await db.query(statement);
    ({ api, worker, processes } = await startBaton({ ...batonEnv(db, vhost), ...tracingEnv(receiver) }));
  });

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop(), receiver?.close()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  async function submit(userId: string): Promise<{ incoming: ReturnType<typeof incomingTrace>; jobId: string }> {
    const incoming = incomingTrace();
    const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId }), { traceparent: incoming.traceparent });
    expect(accepted.status).toBe(202);
    return { incoming, jobId: accepted.body.jobId };
  }

  it('continues an incoming traceparent from the API span through the publish to the worker and its database spans', async () => {
    const { incoming, jobId } = await submit('traced');
    expect(await waitForJob(api, jobId)).toMatchObject({ status: 'completed', attempts: 1 });

    const trace = await jobTrace(receiver, incoming.traceId, jobId, 1);
    expectAcceptSpans(trace, incoming, jobId);
    expect(trace.publishes).toHaveLength(1);
    const [process] = trace.processes;
    expect(process.parentSpanId).toBe(trace.publishes[0].spanId);
    expect(process.status.code).not.toBe(STATUS_ERROR);
    expectProcessSpan(receiver, process, jobId, 1);
    const effect = receiver.trace(incoming.traceId).find((span) => span.parentSpanId === process.spanId && span.name === 'TRANSACTION jobs');
    expect(effect).toBeDefined();
    // One chain from the worker's claim up to the caller's span.
    const claim = receiver.trace(incoming.traceId).find((span) => span.parentSpanId === process.spanId && span.name === 'UPDATE jobs')!;
    expect(receiver.ancestry(claim).map((span) => span.name)).toEqual(['UPDATE jobs', 'process workouts', 'publish baton.jobs', 'POST /v1/workouts']);
  });

  it('continues the trace across a retry: the second attempt is a child of the retry publish, itself a child of the failed attempt', async () => {
    const { incoming, jobId } = await submit('fail-once');
    expect(await waitForJob(api, jobId)).toMatchObject({ status: 'completed', attempts: 2 });

    const trace = await jobTrace(receiver, incoming.traceId, jobId, 2);
    expectAcceptSpans(trace, incoming, jobId);
    const [first, second] = trace.processes;
    expectProcessSpan(receiver, first, jobId, 1);
    expectProcessSpan(receiver, second, jobId, 2);
    expect(first.parentSpanId).toBe(trace.publishes[0].spanId);
    expect(first.status).toMatchObject({ code: STATUS_ERROR, message: expect.stringContaining(FAIL_ONCE_MESSAGE) });
    const retry = receiver.parentOf(second)!;
    expect(retry).toMatchObject({
      kind: SpanKinds.producer,
      name: expect.stringMatching(/^publish workouts\.retry\.\d+ms$/),
      parentSpanId: first.spanId,
      attributes: expect.objectContaining({ 'messaging.system': 'rabbitmq', 'messaging.message.id': jobId }),
    });
    expect(second.status.code).not.toBe(STATUS_ERROR);

    // The worker's log line about the failed attempt names the span it was written in: logs and traces join.
    const lines = worker.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const failedLine = lines.find((line) => line.jobId === jobId && /failed attempt 1/.test(String(line.msg)));
    expect(failedLine).toMatchObject({ trace_id: incoming.traceId, span_id: first.spanId });
  });

  it("ends a dead job's trace with an error status giving the reason", async () => {
    const { incoming, jobId } = await submit('fail-always');
    expect(await waitForJob(api, jobId)).toMatchObject({ status: 'dead', attempts: 2 });

    const trace = await jobTrace(receiver, incoming.traceId, jobId, 2);
    expectAcceptSpans(trace, incoming, jobId);
    const last = trace.processes.at(-1)!;
    expectProcessSpan(receiver, last, jobId, 2);
    expect(last.status).toMatchObject({ code: STATUS_ERROR, message: expect.stringContaining(FAIL_ALWAYS_MESSAGE) });
    expect(receiver.ancestry(last).at(-1)).toBe(trace.server);
  });

  /** A job that goes dead, then is mended and retried by `retry`: the attempt that completes it, once it has. */
  async function deadThenRetried(userId: string, retry: (jobId: string) => Promise<void>) {
    await db.query('INSERT INTO e2e_broken (user_id) VALUES ($1)', [userId]);
    const { incoming, jobId } = await submit(userId);
    expect(await waitForJob(api, jobId)).toMatchObject({ status: 'dead', attempts: 2 });
    await db.query('DELETE FROM e2e_broken WHERE user_id = $1', [userId]);
    await retry(jobId);
    expect(await waitForJob(api, jobId, ['completed'])).toMatchObject({ status: 'completed', attempts: 1 });
    const completing = await receiver.waitFor(`the completing attempt of ${jobId}`, () =>
      receiver.trace(incoming.traceId).find((span) => span.kind === SpanKinds.consumer && span.status.code !== STATUS_ERROR && receiver.trace(incoming.traceId).some((child) => child.parentSpanId === span.spanId && child.name === 'TRANSACTION jobs')),
    );
    expectProcessSpan(receiver, completing, jobId, 1);
    return { completing, incoming };
  }

  it("continues the job's trace when a dead job is retried through the API", async () => {
    const { completing, incoming } = await deadThenRetried('mended-by-api', async (jobId) => {
      const retried = await post(api.url, `/v1/jobs/${jobId}/retry`, {});
      expect(retried.status).toBeLessThan(300);
    });
    // Published again under the span of the request that submitted it, not under the retry's own request.
    const chain = receiver.ancestry(completing);
    expect(chain.map((span) => span.name)).toEqual(['process workouts', 'publish baton.jobs', 'POST /v1/workouts']);
    expect(chain.at(-1)).toMatchObject({ traceId: incoming.traceId, parentSpanId: incoming.parentId });
  });

  itWithServices('publishes to RabbitMQ from a process of its own', "continues the job's trace when an operator retries a dead job with the CLI, which does not trace itself", async () => {
    const { completing, incoming } = await deadThenRetried('mended-by-cli', async (jobId) => {
      const run = await runCli(['jobs', 'retry', jobId], batonEnv(db, vhost));
      expect(run).toMatchObject({ code: 0 });
    });
    // The CLI passed the stored context on as it was: the worker's span is the request span's child.
    expect(receiver.ancestry(completing).map((span) => span.name)).toEqual(['process workouts', 'POST /v1/workouts']);
    expect(receiver.ancestry(completing).at(-1)).toMatchObject({ traceId: incoming.traceId, parentSpanId: incoming.parentId });
  });

  it('starts a trace of its own for a request that brings no traceparent', async () => {
    const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'untraced-caller' }));
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.jobId;
    await waitForJob(api, jobId);
    const process = await receiver.waitFor(`the process span of ${jobId}`, (spans) => spans.find((span) => span.kind === SpanKinds.consumer && span.attributes['messaging.message.id'] === jobId));
    const root = receiver.ancestry(process).at(-1)!;
    expect(root).toMatchObject({ kind: SpanKinds.server, parentSpanId: '' });
  });
});

describeWithServices('stops a RabbitMQ node of its own while the API accepts a job', 'tracing across a broker outage', () => {
  let receiver: OtlpReceiver;
  let node: RabbitNode;
  let db: TestDatabase;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [receiver, node, db] = await Promise.all([OtlpReceiver.start(), RabbitNode.create(), createTestDatabase('baton_e2e_tracing_outage')]);
    ({ api, processes } = await startBaton({ DATABASE_URL: db.url, RABBITMQ_URL: node.url, ...tracingEnv(receiver) }));
  }, 120_000);

  afterAll(async () => {
    await stopAll(processes);
    await Promise.all([node?.dispose(), db?.drop(), receiver?.close()]);
  }, 60_000);

  it("continues the request's trace when the relay publishes the job after the broker is back", async () => {
    await node.stop();
    await waitFor('the API to see the broker away', async () => {
      const ready = await fetch(`${api.url}/health/ready`).then((answer) => answer.json() as Promise<Record<string, any>>);
      return String(ready.rabbitmq ?? ready.error?.rabbitmq).startsWith('down') ? true : undefined;
    });
    const incoming = incomingTrace();
    const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'during-outage' }), { traceparent: incoming.traceparent });
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.jobId;
    const [row] = await db.query<{ published_at: Date | null; trace_context: { traceparent: string } | null }>('SELECT published_at, trace_context FROM jobs WHERE id = $1', [jobId]);
    expect(row.published_at).toBeNull();
    expect(row.trace_context?.traceparent).toMatch(new RegExp(`^00-${incoming.traceId}-[0-9a-f]{16}-01$`));

    await node.start();
    expect(await waitForJob(api, jobId, undefined, 60_000)).toMatchObject({ status: 'completed', attempts: 1 });
    const trace = await jobTrace(receiver, incoming.traceId, jobId, 1);
    expectAcceptSpans(trace, incoming, jobId);
    // The relay's publish, long after the request ended, is still the request span's child.
    const [process] = trace.processes;
    const publish = receiver.parentOf(process)!;
    expect(trace.publishes).toContain(publish);
    expectProcessSpan(receiver, process, jobId, 1);
    expect(receiver.ancestry(process).map((span) => span.name)).toEqual(['process workouts', 'publish baton.jobs', 'POST /v1/workouts']);
  }, 120_000);
});

describe('a collector that never answers', () => {
  const held = new Set<Socket>();
  // Takes connections and never says a word: the exporter waits on it.
  const silent = createServer((socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
  });
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_tracing_silent'), createTestBroker('baton_e2e_tracing_silent')]);
    const port = (silent.address() as { port: number }).port;
    ({ api, processes } = await startBaton({
      ...batonEnv(db, vhost),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      // The spans wait in the batch until the shutdown flushes them.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      SHUTDOWN_TIMEOUT_MS: '5000',
    }));
  });

  afterAll(async () => {
    await stopAll(processes);
    for (const socket of held) socket.destroy();
    silent.close();
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  it('holds up no request, and no shutdown past its bound', async () => {
    const { jobId } = (await post(api.url, '/v1/workouts', workoutBody({ userId: 'silent-collector' }), { traceparent: incomingTrace().traceparent })).body;
    expect(await waitForJob(api, jobId)).toMatchObject({ status: 'completed' });
    for (const process of processes) {
      const started = Date.now();
      expect(await process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      // The drain is immediate here; the flush to the silent collector is given 2 s, then dropped.
      expect(Date.now() - started).toBeLessThan(4_500);
    }
  }, 30_000);
});
