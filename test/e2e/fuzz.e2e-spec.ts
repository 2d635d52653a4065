/**
 * Fuzzing from the outside. Thousands of generated malformed requests
 * (test/support/malformed-requests.ts: wrong types, missing and unknown
 * fields, huge strings and lists, deep nesting, prototype keys, truncated
 * JSON, invalid UTF-8, lone surrogates and NUL, non-object JSON, wrong
 * content types, bad ids, junk headers, broken HTTP framing) go to a real
 * API, 15 at a time with one valid request beside them. Every answer must
 * be the right 4xx in Baton's error shape, never a 5xx; the processes must
 * stay up and ready; the only jobs must be those of the valid requests, and
 * each must complete. Then (services mode) garbage messages go straight
 * onto the work queues: each must end in its dead-letter queue, the worker
 * must stay up and consuming, and valid jobs must still complete.
 *
 * The generators run from a fixed seed, which every failure message shows;
 * FUZZ_SEED=<n> replays another one, FUZZ_BATCHES=<n> sends more or fewer.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { GetMessage } from 'amqplib';
import * as fc from 'fast-check';
import { batonEnv, BatonProcess, createTestBroker, createTestDatabase, describeWithServices, invoiceBody, startBaton, TestDatabase, TestVhost, waitFor, workoutBody } from '../support';
import {
  deadLetterQueueOf,
  describeCase,
  describeMessage,
  garbageMessage,
  GarbageMessage,
  HttpCase,
  JobKind,
  malformedRequest,
  preview,
  statusText,
  truncatedUpload,
  validBody,
  validCase,
  validRequest,
} from '../support/malformed-requests';
import { Broker, header, insertJob, openBroker, post, QueueCollector, queueDepths, request, stopAll, UUID_PATTERN, waitForJob, waitUntilSettled } from './e2e-support';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
/** Batches of malformed requests; each batch is sent at once, with one valid request. */
const BATCHES = Number(process.env.FUZZ_BATCHES ?? 200);
const BATCH_SIZE = 15;
const GARBAGE_MESSAGES = 300;
/** One valid job posted over HTTP per this many garbage messages published. */
const VALID_JOB_EVERY = 15;

/** Short, so that requests whose body never arrives whole are cut off quickly (408). */
const REQUEST_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;

/** An answer, from fetch or read off a raw socket. */
interface Reply {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  ms: number;
}

type Outcome = { reply: Reply } | { error: string };

/** Lines of a stack trace, or source file positions, in an answer. */
const STACK_TRACES = [/\n\s+at \S/, /\\n\s+at \S/, /\bat [\w$.<>]+ \([^)]*:\d+:\d+\)/, /[\w.-]+\.(?:js|ts|mjs|cjs):\d+/];

describe('fuzz: malformed requests and messages', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let api: BatonProcess;
  let worker: BatonProcess;
  let processes: BatonProcess[];

  /** Jobs accepted for valid requests, by id. */
  const accepted = new Map<string, JobKind>();
  /** Jobs accepted for requests that should have been refused, by id: each is a bug. */
  const wronglyAccepted = new Map<string, string>();

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_fuzz'), createTestBroker('baton_e2e_fuzz')]);
    const env = {
      ...batonEnv(db, vhost),
      // Thousands of requests on one key within a minute: the rate limit is not what is under test.
      RATE_LIMIT_MAX: '10000000',
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    };
    // Services mode: the API and one worker for both queues; embedded mode: the standalone process.
    ({ api, worker, processes } = await startBaton(env));
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  });

  async function send(sent: HttpCase): Promise<Outcome> {
    if (sent.raw) return sendRaw(api.url, sent.raw);
    try {
      const answer = await request(api.url, sent.method, sent.path, {
        body: sent.body,
        headers: sent.headers,
        apiKey: sent.auth === 'none' ? null : undefined,
      });
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => (headers[name] = value));
      return { reply: { status: answer.status, headers, text: answer.text, ms: answer.ms } };
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      return { error: `${(error as Error).message}${cause ? `: ${cause.message}` : ''}` };
    }
  }

  /** What is wrong with the answer to a request, if anything. */
  function problemsWith(sent: HttpCase, outcome: Outcome): string[] {
    if ('error' in outcome) return [`no answer (${outcome.error})`];
    const { reply } = outcome;
    const problems: string[] = [];
    if (reply.status >= 500) problems.push(`${reply.status}: a 5xx`);
    if (!sent.expect.statuses.includes(reply.status)) problems.push(`status ${reply.status}, expected ${sent.expect.statuses.join(' or ')}`);
    // An invalid request taken (2xx): that says it all; its body is no error to check.
    if (!sent.expect.valid && reply.status < 400) return problems;
    let body: any;
    try {
      body = JSON.parse(reply.text);
    } catch {
      problems.push('the body is not JSON');
      return problems;
    }
    const requestIdHeader = reply.headers['x-request-id'];
    const fromParser = sent.expect.protocolError === true && requestIdHeader === undefined;
    if (sent.expect.valid) {
      if (reply.status === 202) {
        if (!UUID_PATTERN.test(body?.jobId ?? '')) problems.push('no jobId in the 202');
        if (reply.headers.location !== `/v1/jobs/${body?.jobId}`) problems.push(`Location ${reply.headers.location}`);
      }
    } else {
      // Baton's error shape (README, "Errors"); an answer of Node's parser has no request and so no request id.
      if (body?.statusCode !== reply.status) problems.push(`statusCode ${JSON.stringify(body?.statusCode)} in a ${reply.status}`);
      if (body?.error !== statusText(reply.status)) problems.push(`error ${JSON.stringify(body?.error)} in a ${reply.status}`);
      if (typeof body?.message !== 'string') problems.push('no message');
      if (!fromParser && (typeof body?.requestId !== 'string' || body.requestId !== requestIdHeader)) {
        problems.push(`requestId ${JSON.stringify(body?.requestId)} where X-Request-Id is ${JSON.stringify(requestIdHeader)}`);
      }
      if (body?.errors !== undefined && !(Array.isArray(body.errors) && body.errors.every((item: any) => typeof item?.field === 'string' && Array.isArray(item?.messages)))) {
        problems.push('errors is not a list of { field, messages }');
      }
      const sentText = `${sent.path}\n${sent.body?.toString('latin1') ?? ''}\n${sent.raw?.toString('latin1') ?? ''}\n${Object.values(sent.headers).join('\n')}`;
      for (const pattern of STACK_TRACES) {
        const found = pattern.exec(reply.text);
        // Only what the request did not carry itself (an echoed path may look like a file position).
        if (found && !sentText.includes(found[0].replace(/\\n/g, '\n'))) problems.push(`what looks like a stack trace: ${JSON.stringify(found[0])}`);
      }
    }
    // README: every answer carries X-Request-Id, the client's when it is a plain token.
    if (!fromParser) {
      if (requestIdHeader === undefined) problems.push('no X-Request-Id header');
      else if (sent.requestId !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(sent.requestId) ? requestIdHeader !== sent.requestId : !UUID_PATTERN.test(requestIdHeader)) {
        problems.push(`X-Request-Id ${JSON.stringify(requestIdHeader)} for ${preview(sent.requestId, 40)} sent`);
      }
    }
    return problems;
  }

  describe('HTTP', () => {
    interface Anomaly {
      request: string;
      status?: number;
      problems: string[];
      answer: string;
    }
    const anomalies: Anomaly[] = [];
    const statusesByKind = new Map<string, Map<number | string, number>>();
    let sentCount = 0;
    let validCount = 0;
    let slowest = { ms: 0, request: '' };

    function record(sent: HttpCase, outcome: Outcome): void {
      sentCount++;
      const status = 'reply' in outcome ? outcome.reply.status : 'no answer';
      const byStatus = statusesByKind.get(sent.kind) ?? new Map<number | string, number>();
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      statusesByKind.set(sent.kind, byStatus);
      if ('reply' in outcome && outcome.reply.ms > slowest.ms) slowest = { ms: outcome.reply.ms, request: describeCase(sent) };
      if ('reply' in outcome && outcome.reply.status >= 200 && outcome.reply.status < 300) {
        const jobId = safeJson(outcome.reply.text)?.jobId;
        if (typeof jobId === 'string') {
          if (sent.expect.valid) accepted.set(jobId, sent.path.endsWith('invoices') ? 'invoices' : 'workouts');
          else wronglyAccepted.set(jobId, describeCase(sent));
        }
      }
      const problems = problemsWith(sent, outcome);
      if (problems.length > 0) {
        anomalies.push({
          request: describeCase(sent),
          status: 'reply' in outcome ? outcome.reply.status : undefined,
          problems,
          answer: 'reply' in outcome ? preview(outcome.reply.text, 300) : '',
        });
      }
    }

    /** The anomalies grouped by what went wrong, a few examples each: thousands of lines help no one. */
    function summary(list: Anomaly[]): Record<string, { count: number; examples: Anomaly[] }> {
      const groups: Record<string, { count: number; examples: Anomaly[] }> = {};
      for (const anomaly of list) {
        const kind = /^\[([^\]]+)\]/.exec(anomaly.request)?.[1] ?? '?';
        const key = `${kind}: ${anomaly.problems.map((problem) => problem.replace(/".*"/, '…')).join('; ')}`;
        groups[key] ??= { count: 0, examples: [] };
        groups[key].count++;
        if (groups[key].examples.length < 3) groups[key].examples.push(anomaly);
      }
      return groups;
    }

    it(`answers ${BATCHES * BATCH_SIZE} generated malformed requests with the right 4xx in the error shape, never a 5xx, and accepts the ${BATCHES} valid ones among them`, async () => {
      let serial = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(malformedRequest, { minLength: BATCH_SIZE, maxLength: BATCH_SIZE }), validRequest, async (batch, valid) => {
          validCount++;
          // Unique: the same key and body again would be an idempotent replay (200), not a new job.
          const idempotencyKey = valid.idempotencyKeyPrefix === undefined ? undefined : `${valid.idempotencyKeyPrefix}-${SEED}-${++serial}`;
          const cases = [...batch, validCase(valid, idempotencyKey)];
          await Promise.all(cases.map(async (sent) => record(sent, await send(sent))));
        }),
        // The property records rather than fails, so that one run reports every anomaly; the seed makes the run repeatable.
        { seed: SEED, numRuns: BATCHES, endOnFailure: true },
      );

      process.stdout.write(
        `fuzz (seed ${SEED}): ${sentCount} requests, ${validCount} valid, ${anomalies.length} anomalies; slowest ${slowest.ms} ms: ${slowest.request.slice(0, 200)}\n` +
          [...statusesByKind].map(([kind, byStatus]) => `  ${kind}: ${[...byStatus].map(([status, count]) => `${status}×${count}`).join(' ')}`).join('\n') +
          '\n',
      );
      expect(sentCount).toBe(BATCHES * (BATCH_SIZE + 1));
      // First the 5xx, each with its request; then everything else that is wrong.
      const serverErrors = anomalies.filter((anomaly) => anomaly.status === undefined || anomaly.status >= 500);
      expect({ seed: SEED, serverErrors }).toEqual({ seed: SEED, serverErrors: [] });
      expect({ seed: SEED, anomalies: summary(anomalies) }).toEqual({ seed: SEED, anomalies: {} });
    }, 180_000);

    it('cuts off with 408 a request whose body never arrives whole, and shrugs off a client that hangs up mid-body', async () => {
      const problems: string[] = [];
      await fc.assert(
        fc.asyncProperty(fc.array(truncatedUpload, { minLength: 6, maxLength: 6 }), fc.array(truncatedUpload, { minLength: 4, maxLength: 4 }), async (slow, abandoned) => {
          const started = Date.now();
          await Promise.all([
            ...slow.map(async (sent) => {
              const outcome = await send(sent);
              for (const problem of problemsWith(sent, outcome)) problems.push(`${describeCase(sent)}: ${problem}`);
            }),
            // Hung up on after a part of the body: there is no one to answer.
            ...abandoned.map((sent) => sendRaw(api.url, sent.raw!, { hangUpAfterMs: 200 })),
          ]);
          // Cut off by the timeout, not by the test's own 10 s.
          expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
        }),
        { seed: SEED, numRuns: 1, endOnFailure: true },
      );
      expect({ seed: SEED, problems }).toEqual({ seed: SEED, problems: [] });
    }, 60_000);

    it('is still up and ready afterwards, logged no server error, and holds exactly one job per accepted valid request, each completed', async () => {
      for (const child of processes) {
        expect(child.running).toBe(true);
        expect((await request(child.url, 'GET', '/health/ready', { apiKey: null })).status).toBe(200);
      }
      expect(accepted.size).toBe(BATCHES);

      const ids = new Set((await db.query<{ id: string }>('SELECT id FROM jobs')).map((row) => row.id));
      const validNotCompleted: string[] = [];
      await inBatches([...accepted.keys()], 16, async (jobId) => {
        const job = await waitForJob(api, jobId, ['completed', 'dead'], 60_000);
        if (job.status !== 'completed') validNotCompleted.push(`${jobId}: ${job.status} (${job.error})`);
      });
      // What became of the jobs that should never have been: said with each, to show how far the bad input got.
      const jobsOfInvalidRequests: string[] = [];
      await inBatches([...ids].filter((id) => !accepted.has(id)), 16, async (jobId) => {
        const job = await waitForJob(api, jobId, ['completed', 'dead'], 40_000).catch((error: Error) => ({ status: error.message, error: null }));
        jobsOfInvalidRequests.push(`job ${job.status}${job.error ? ` (${job.error.slice(0, 160)})` : ''} for ${wronglyAccepted.get(jobId) ?? '(no request answered with it)'}`.slice(0, 600));
      });
      // PostgreSQL was there all along: a warning that it was not, or a 500's log line, is a misreading of some request.
      const logs = processes.map((child) => child.logs).join('\n');
      const alarmingLogLines = logs
        .split('\n')
        .filter((line) => /PostgreSQL unavailable|failed \(request|Internal server error|Unhandled|uncaught/i.test(line))
        .map((line) => line.slice(0, 400));

      expect({
        seed: SEED,
        jobsOfInvalidRequests: jobsOfInvalidRequests.sort(),
        acceptedButMissing: [...accepted.keys()].filter((id) => !ids.has(id)),
        validNotCompleted,
        alarmingLogLines,
      }).toEqual({ seed: SEED, jobsOfInvalidRequests: [], acceptedButMissing: [], validNotCompleted: [], alarmingLogLines: [] });
    }, 180_000);
  });

  /*
   * What Baton does with a message (apps/worker/src/jobs/job-runner.ts,
   * README "Working"): no UUID in messageId, or a type property naming the
   * other job type, is dead-lettered at once, the latter to that type's
   * dead-letter queue; an unknown job id too. For a job that exists, the
   * body is read as UTF-8 JSON whatever contentType and contentEncoding say
   * (Baton sets them itself and never reads them back), so junk in those
   * properties changes nothing: a body that is not JSON or not a valid
   * payload makes the job dead after one attempt and goes to the dead-letter
   * queue. Junk in x-baton-attempt changes nothing either: attempts are
   * counted on the job row, not read from the message.
   */
  describeWithServices('publishes raw messages to baton.jobs and reads the dead-letter queues over AMQP', 'garbage messages on the work queues', () => {
    let broker: Broker;
    const collectors: Record<string, QueueCollector> = {};
    /** Jobs of valid requests posted while (and after) the garbage flows. */
    const validJobs = new Map<string, JobKind>();
    /** Job rows the test inserted for garbage to name: each must end dead, and make nothing. */
    const insertedJobs = new Map<string, JobKind>();

    beforeAll(async () => {
      broker = await openBroker(vhost!);
      for (const queue of ['workouts.dead', 'invoices.dead']) collectors[queue] = new QueueCollector(broker, queue);
    });

    afterAll(async () => {
      await broker?.close();
    });

    async function postValid(type: JobKind, body: Record<string, unknown>): Promise<void> {
      const answer = await post(api.url, `/v1/${type}`, body);
      expect({ status: answer.status, body: answer.text.slice(0, 300) }).toEqual({ status: 202, body: expect.any(String) });
      validJobs.set(answer.body.jobId, type);
    }

    it(`dead-letters each of ${GARBAGE_MESSAGES} garbage messages, once, to its dead-letter queue, with its reason and its bytes`, async () => {
      const [messages] = fc.sample(fc.array(garbageMessage, { minLength: GARBAGE_MESSAGES, maxLength: GARBAGE_MESSAGES }), { seed: SEED, numRuns: 1 });
      const [validBodies] = fc.sample(fc.tuple(fc.array(validBody('workouts'), { minLength: 20, maxLength: 20 }), fc.array(validBody('invoices'), { minLength: 20, maxLength: 20 })), {
        seed: SEED,
        numRuns: 1,
      });

      // The message id each one is published with, and the job it names when it names one of the test's.
      const published: Array<{ message: GarbageMessage; fuzzId: string; messageId?: string }> = [];
      for (const [index, message] of messages.entries()) {
        let messageId: string | undefined;
        if (message.messageId.kind === 'existing job') {
          messageId = randomUUID();
          await insertJob(db, { id: messageId, type: message.routingKey, payload: message.routingKey === 'workouts' ? workoutBody() : invoiceBody(), published: true });
          insertedJobs.set(messageId, message.routingKey);
        } else if (message.messageId.kind === 'value') {
          messageId = message.messageId.value;
        }
        published.push({ message, fuzzId: `fuzz-${SEED}-${index}`, messageId });
      }

      const posting: Array<Promise<void>> = [];
      for (const [index, { message, fuzzId, messageId }] of published.entries()) {
        await broker.publish('baton.jobs', message.routingKey, message.body, {
          persistent: true,
          messageId,
          type: message.type,
          contentType: message.contentType,
          contentEncoding: message.contentEncoding,
          correlationId: message.correlationId,
          headers: { ...message.headers, 'x-fuzz-id': fuzzId },
        });
        // Valid work keeps coming in while the garbage flows.
        if (index % VALID_JOB_EVERY === 0) {
          const type: JobKind = index % (2 * VALID_JOB_EVERY) === 0 ? 'workouts' : 'invoices';
          posting.push(postValid(type, validBodies[type === 'workouts' ? 0 : 1][(index / VALID_JOB_EVERY) % 20]));
        }
      }
      await Promise.all(posting);

      // Every garbage message, found by the header Baton keeps on a dead letter.
      const fuzzIdOf = (letter: GetMessage) => header(letter, 'x-fuzz-id');
      const drainAll = () => Promise.all(Object.values(collectors).map((collector) => collector.drain()));
      const seenIds = () => new Set(Object.values(collectors).flatMap((collector) => collector.messages.map(fuzzIdOf)));
      let lastCount = -1;
      let quietSince = Date.now();
      await waitFor(
        `all ${GARBAGE_MESSAGES} garbage messages in the dead-letter queues, or nothing left anywhere to come`,
        async () => {
          await drainAll();
          const seen = seenIds();
          if (published.every(({ fuzzId }) => seen.has(fuzzId))) return true;
          if (seen.size !== lastCount) {
            lastCount = seen.size;
            quietSince = Date.now();
            return undefined;
          }
          // Nothing new for a while, and nothing ready or unsettled in a work or delay queue: the rest will never come.
          if (Date.now() - quietSince < 3_000) return undefined;
          const depths = await queueDepths(vhost!);
          return Object.entries(depths).every(([queue, depth]) => queue.endsWith('.dead') || depth.ready + depth.unacked === 0) ? true : undefined;
        },
        90_000,
        250,
      );
      // A moment for duplicates to show.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await drainAll();

      const jobs = new Map(
        (await db.query<{ id: string; status: string; attempts: number; error: string | null }>('SELECT id, status, attempts, last_error AS error FROM jobs WHERE id = ANY($1::uuid[])', [[...insertedJobs.keys()]])).map((row) => [row.id, row]),
      );
      const problems: string[] = [];
      for (const { message, fuzzId, messageId } of published) {
        const expected = deadLetterQueueOf(message);
        const copies = Object.entries(collectors).flatMap(([queue, collector]) => collector.messages.filter((letter) => fuzzIdOf(letter) === fuzzId).map((letter) => ({ queue, letter })));
        const wrong: string[] = [];
        if (copies.length !== 1) wrong.push(`${copies.length} dead letters`);
        for (const { queue, letter } of copies) {
          if (queue !== expected) wrong.push(`in ${queue}, expected ${expected}`);
          if (!header(letter, 'x-baton-error')) wrong.push('no x-baton-error');
          // Dead-lettered by Baton itself, at once; not by the broker after a redelivery loop.
          if (letter.properties.headers?.['x-death'] !== undefined) wrong.push(`dead-lettered by the broker: ${JSON.stringify(letter.properties.headers['x-death']).slice(0, 200)}`);
          if (!letter.content.equals(message.body)) wrong.push(`body changed (${letter.content.length} bytes for ${message.body.length})`);
          if ((messageId || undefined) !== (letter.properties.messageId || undefined)) wrong.push(`messageId ${JSON.stringify(letter.properties.messageId)}`);
        }
        // The job it named (one the test inserted): taken once and given up at once, nothing made of it.
        const job = messageId === undefined ? undefined : jobs.get(messageId);
        if (insertedJobs.has(messageId ?? '') && (job?.status !== 'dead' || job.attempts !== 1 || !job.error)) {
          wrong.push(`its job is ${job?.status} after ${job?.attempts} attempts${job?.error ? ` (${job.error.slice(0, 120)})` : ''}, expected dead after 1`);
        }
        if (wrong.length > 0) problems.push(`${describeMessage(message, messageId)}: ${wrong.join('; ')}`);
      }
      expect({ seed: SEED, count: problems.length, problems: problems.slice(0, 30) }).toEqual({ seed: SEED, count: 0, problems: [] });
    }, 150_000);

    it('keeps the worker up, ready and consuming, makes nothing of the garbage, and still completes valid jobs', async () => {
      for (const queue of ['workouts', 'invoices']) await waitUntilSettled(vhost!, queue, 20_000);
      const depths = await queueDepths(vhost!);
      const retries = Object.entries(depths).filter(([queue, depth]) => queue.includes('.retry.') && depth.ready + depth.unacked > 0);
      expect(retries).toEqual([]);

      expect(worker.running).toBe(true);
      expect((await request(worker.url, 'GET', '/health/ready', { apiKey: null })).status).toBe(200);
      for (const queue of ['workouts', 'invoices']) expect((await broker.checkQueue(queue)).consumerCount).toBeGreaterThanOrEqual(1);

      // And it still does real work.
      await postValid('workouts', workoutBody({ userId: 'after-garbage' }));
      await postValid('invoices', invoiceBody({ orderId: 'after-garbage' }));
      const unfinished: string[] = [];
      await inBatches([...validJobs.keys()], 16, async (jobId) => {
        const job = await waitForJob(api, jobId, ['completed', 'dead'], 60_000);
        if (job.status !== 'completed') unfinished.push(`${jobId}: ${job.status} (${job.error})`);
      });
      expect(unfinished).toEqual([]);

      const completed = new Map([...accepted, ...validJobs]);
      // No valid job's message among the dead letters.
      await Promise.all(Object.values(collectors).map((collector) => collector.drain()));
      const deadValid = Object.values(collectors).flatMap((collector) => collector.messages.filter((letter) => completed.has(letter.properties.messageId)));
      expect(deadValid.map((letter) => letter.properties.messageId)).toEqual([]);

      // Baton's own failures (not the jobs') would show here, each followed by a requeue.
      const alarming = worker.logs.split('\n').filter((line) => /delivery of .* failed|cannot republish|cannot re-attach|channel error|Unhandled|uncaught/i.test(line));
      expect(alarming.map((line) => line.slice(0, 400))).toEqual([]);

      // Rows only for requests: the valid ones of the HTTP part and these, plus the jobs the test inserted itself (and,
      // already reported above, those of invalid requests the API took).
      const known = new Set([...completed.keys(), ...insertedJobs.keys(), ...wronglyAccepted.keys()]);
      const jobIds = (await db.query<{ id: string }>('SELECT id FROM jobs')).map((row) => row.id);
      expect(jobIds.filter((id) => !known.has(id))).toEqual([]);
      for (const type of ['workouts', 'invoices'] as const) {
        const made = (await db.query<{ job_id: string }>(`SELECT job_id FROM ${type}`)).map((row) => row.job_id).filter((id) => !wronglyAccepted.has(id));
        const expected = [...completed].filter(([, kind]) => kind === type).map(([id]) => id);
        expect({
          type,
          madeOfGarbage: made.filter((id) => insertedJobs.has(id)),
          madeOfNothingKnown: made.filter((id) => !insertedJobs.has(id) && !completed.has(id)),
          missing: expected.filter((id) => !made.includes(id)),
        }).toEqual({ type, madeOfGarbage: [], madeOfNothingKnown: [], missing: [] });
      }
    }, 120_000);
  });
});

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Runs `work` on every item, at most `width` at once. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * Sends bytes over a socket of its own and reads the answer until the
 * server closes (the requests say Connection: close). With `hangUpAfterMs`
 * it hangs up instead, without waiting for an answer.
 */
function sendRaw(baseUrl: string, bytes: Buffer, options: { timeoutMs?: number; hangUpAfterMs?: number } = {}): Promise<Outcome> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish(options.hangUpAfterMs !== undefined ? { error: 'hung up' } : { error: `no answer within ${options.timeoutMs ?? 10_000} ms` }),
      options.hangUpAfterMs ?? options.timeoutMs ?? 10_000,
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that answers before reading everything may reset the connection: what it said still counts.
    socket.on('error', (error) => finish(parseRaw(Buffer.concat(chunks), Date.now() - started) ?? { error: error.message }));
    socket.on('close', () => finish(parseRaw(Buffer.concat(chunks), Date.now() - started) ?? { error: 'connection closed without an answer' }));
    socket.write(bytes);
  });
}

function parseRaw(data: Buffer, ms: number): Outcome | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!status) return { error: `not an HTTP answer: ${preview(statusLine, 80)}` };
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { reply: { status: Number(status[1]), headers, text: body.toString('utf8'), ms } };
}
