/**
 * Retries and dead letters, with failures injected from outside Baton: a
 * PostgreSQL trigger in the suite's own database makes chosen inserts fail,
 * and poison messages are published straight to the broker.
 *
 * In services mode two workers: one for workouts with a 100 ms retry base,
 * one for invoices with a 1500 ms base, long enough to watch a job wait for
 * its retry. In embedded mode the one standalone process waits 1500 ms for
 * both; what needs RabbitMQ itself (raw messages, the dead-letter and delay
 * queues read over AMQP) runs in services mode only.
 */
import { randomUUID } from 'node:crypto';
import {
  batonEnv,
  BatonProcess,
  createTestBroker,
  createTestDatabase,
  describeWithServices,
  invoiceBody,
  itWithServices,
  startBaton,
  TestDatabase,
  testMode,
  TestVhost,
  waitFor,
  withServices,
  workoutBody,
} from '../support';
import { Broker, countRows, get, header, insertJob, JobView, openBroker, post, QueueCollector, stopAll, waitForJob, waitUntilSettled } from './e2e-support';

// A worker dead-letters within milliseconds; waiting longer than this means it never will.
const DEAD_LETTER_WAIT_MS = 6_000;

const INVOICE_RETRY_BASE_MS = 1500;
const READS_DEAD_LETTERS = 'reads the dead-letter queue over AMQP';

const FAIL_ALWAYS_MESSAGE = 'e2e injected failure: workouts are down';
const FAIL_ONCE_MESSAGE = 'e2e injected failure: first attempt only';

const FAILURE_TRIGGERS = [
  // Sequences are not rolled back with the failed transaction: "once" means once.
  `CREATE SEQUENCE e2e_fail_once_workout_seq`,
  `CREATE SEQUENCE e2e_fail_once_invoice_seq`,
  `CREATE FUNCTION e2e_fail_workout() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.user_id = 'fail-always' THEN
       RAISE EXCEPTION '${FAIL_ALWAYS_MESSAGE} (user %)', NEW.user_id;
     END IF;
     IF NEW.user_id = 'fail-once' AND nextval('e2e_fail_once_workout_seq') = 1 THEN
       RAISE EXCEPTION '${FAIL_ONCE_MESSAGE}';
     END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER e2e_fail_workout BEFORE INSERT ON workouts FOR EACH ROW EXECUTE FUNCTION e2e_fail_workout()`,
  `CREATE FUNCTION e2e_fail_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.order_id = 'fail-once-slow' AND nextval('e2e_fail_once_invoice_seq') = 1 THEN
       RAISE EXCEPTION '${FAIL_ONCE_MESSAGE}';
     END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER e2e_fail_invoice BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION e2e_fail_invoice()`,
];

describe('retries and dead letters', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;
  let workoutWorker: BatonProcess;
  let invoiceWorker: BatonProcess;
  // Services mode only: the test's own AMQP connection to the suite's vhost.
  let broker: Broker;
  let workoutsDead: QueueCollector;
  let invoicesDead: QueueCollector;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_retries'), createTestBroker('baton_e2e_retries')]);
    for (const statement of FAILURE_TRIGGERS) await db.query(statement);
    const env = { ...batonEnv(db, vhost), JOB_MAX_ATTEMPTS: '3', JOB_RETRY_BASE_MS: '100' };
    const baton =
      testMode() === 'services'
        ? await startBaton(env, { workers: [{ WORKER_QUEUES: 'workouts' }, { WORKER_QUEUES: 'invoices', JOB_RETRY_BASE_MS: String(INVOICE_RETRY_BASE_MS) }] })
        : await startBaton({ ...env, JOB_RETRY_BASE_MS: String(INVOICE_RETRY_BASE_MS) }, { workers: [{}, {}] });
    ({ api, processes } = baton);
    [workoutWorker, invoiceWorker] = baton.workers;
    if (vhost) {
      broker = await openBroker(vhost);
      workoutsDead = new QueueCollector(broker, 'workouts.dead');
      invoicesDead = new QueueCollector(broker, 'invoices.dead');
    }
  });

  afterAll(async () => {
    await broker?.close();
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  const workoutRows = (jobId: string) => countRows(db, 'SELECT count(*) FROM workouts WHERE job_id = $1', [jobId]);

  /** Publishes a message straight to the work exchange, as a job message would be. */
  function publishRaw(body: Buffer | string, options: { messageId?: string; type?: string; routingKey?: string } = {}) {
    return broker.publish('baton.jobs', options.routingKey ?? 'workouts', body, {
      persistent: true,
      contentType: 'application/json',
      messageId: options.messageId,
      type: options.type ?? 'workouts',
      headers: { 'x-baton-attempt': 1 },
    });
  }

  describe('failing attempts', () => {
    it('retries a job whose first attempt fails: completed after 2 attempts, with one workout', async () => {
      const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'fail-once' }));
      expect(accepted.status).toBe(202);

      const job = await waitForJob(api, accepted.body.jobId);
      expect(job).toMatchObject({ status: 'completed', attempts: 2, maxAttempts: 3, error: null });
      expect(job.result).toEqual({ workoutId: expect.any(String) });
      expect(await workoutRows(job.id)).toBe(1);
      // The trigger fired twice: it did fail the first attempt.
      const [sequence] = await db.query<{ last_value: string }>('SELECT last_value FROM e2e_fail_once_workout_seq');
      expect(Number(sequence.last_value)).toBe(2);
      const workout = await get(api.url, `/v1/workouts/${job.result!.workoutId}`);
      expect(workout.status).toBe(200);
      expect(workout.body.userId).toBe('fail-once');
      await withServices(READS_DEAD_LETTERS, async () => {
        await workoutsDead.drain();
        expect(workoutsDead.withMessageId(job.id)).toEqual([]);
      });
    });

    describe('a job that always fails', () => {
      const body = workoutBody({ userId: 'fail-always' });
      let jobId: string;
      let requestId: string | null;
      let job: JobView;

      beforeAll(async () => {
        const accepted = await post(api.url, '/v1/workouts', body);
        expect(accepted.status).toBe(202);
        jobId = accepted.body.jobId;
        requestId = accepted.headers.get('x-request-id');
        job = await waitForJob(api, jobId);
      });

      it('ends dead after 3 attempts, without result or workout', async () => {
        expect(job).toMatchObject({ id: jobId, status: 'dead', attempts: 3, maxAttempts: 3, result: null, completedAt: null });
        expect(await workoutRows(jobId)).toBe(0);
      });

      it("records the failure's own message (the trigger's) as the job error", async () => {
        expect(job.error).toContain(FAIL_ALWAYS_MESSAGE);
        expect(job.error).toContain('fail-always');
      });

      itWithServices(READS_DEAD_LETTERS, 'puts its message, once, into workouts.dead with the reason in x-baton-error and its identity kept', async () => {
        const letter = await workoutsDead.waitFor(`dead letter of job ${jobId}`, (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
        expect(header(letter, 'x-baton-error')).toContain(FAIL_ALWAYS_MESSAGE);
        expect(Number(header(letter, 'x-baton-attempt'))).toBe(3);
        expect(letter.properties.type).toBe('workouts');
        expect(letter.properties.correlationId).toBe(requestId);
        expect(JSON.parse(letter.content.toString('utf8'))).toEqual(body);
        // Dead-lettered once, not once per attempt.
        await workoutsDead.drain();
        expect(workoutsDead.withMessageId(jobId)).toHaveLength(1);
      });

      itWithServices('reads the work and delay queue depths from RabbitMQ', 'leaves nothing behind in the work queue or the retry queues', async () => {
        await waitUntilSettled(vhost!, 'workouts');
        for (const queue of ['workouts.retry.100ms', 'workouts.retry.200ms']) expect((await broker.checkQueue(queue)).messageCount).toBe(0);
      });
    });

    it("shows a job as 'failed' while it waits for its retry, then completed", async () => {
      const accepted = await post(api.url, '/v1/invoices', invoiceBody({ orderId: 'fail-once-slow' }));
      expect(accepted.status).toBe(202);
      const jobId = accepted.body.jobId as string;

      // The invoice worker waits 1500 ms before the retry: plenty of time to see the job failed.
      const failed = await waitForJob(api, jobId, ['failed', 'completed', 'dead']);
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, maxAttempts: 3, result: null, completedAt: null });
      expect(failed.error).toContain(FAIL_ONCE_MESSAGE);
      await withServices('reads the delay queue invoices.retry.1500ms over AMQP', async () => {
        // Meanwhile its message waits in the delay queue for the first retry.
        const waiting = await waitFor('the retry in invoices.retry.1500ms', async () => {
          const { messageCount } = await broker.checkQueue('invoices.retry.1500ms');
          return messageCount === 1 ? messageCount : undefined;
        }, 1000);
        expect(waiting).toBe(1);
      });
      const stillFailed = await get<JobView>(api.url, `/v1/jobs/${jobId}`);
      expect(stillFailed.body.status).toBe('failed');

      const done = await waitForJob(api, jobId);
      expect(done).toMatchObject({ status: 'completed', attempts: 2, error: null, result: { invoiceId: expect.any(String) } });
      // No sooner than the delay: the retry did wait in the delay queue.
      expect(Date.parse(done.completedAt!) - Date.parse(failed.updatedAt)).toBeGreaterThanOrEqual(1400);
      expect(await countRows(db, 'SELECT count(*) FROM invoices WHERE job_id = $1', [jobId])).toBe(1);
      await withServices(READS_DEAD_LETTERS, async () => {
        await invoicesDead.drain();
        expect(invoicesDead.withMessageId(jobId)).toEqual([]);
      });
    });

    itWithServices('publishes a raw message to baton.jobs over AMQP', 'dead-letters again, and leaves the job dead, when a dead job is delivered once more', async () => {
      const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'fail-always' }));
      const jobId = accepted.body.jobId as string;
      expect((await waitForJob(api, jobId)).status).toBe('dead');
      await workoutsDead.waitFor('first dead letter', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);

      await publishRaw(JSON.stringify(workoutBody({ userId: 'fail-always' })), { messageId: jobId });
      const again = await workoutsDead.waitFor(
        'second dead letter',
        (message) => message.properties.messageId === jobId && header(message, 'x-baton-error') === 'job is dead',
        DEAD_LETTER_WAIT_MS,
      );
      expect(again).toBeDefined();
      const job = await waitForJob(api, jobId);
      expect(job).toMatchObject({ status: 'dead', attempts: 3 });
      expect(job.error).toContain(FAIL_ALWAYS_MESSAGE);
    });
  });

  describeWithServices('publishes raw messages to baton.jobs and reads the dead-letter queues over AMQP', 'poison messages published straight to baton.jobs', () => {
    it('dead-letters a body that is not JSON and marks its job dead at once', async () => {
      const jobId = randomUUID();
      await insertJob(db, { id: jobId, type: 'workouts', payload: workoutBody() });
      await publishRaw('this is {not json', { messageId: jobId });

      const letter = await workoutsDead.waitFor('the non-JSON message', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
      expect(header(letter, 'x-baton-error')).toBe('message body is not valid JSON');
      expect(letter.content.toString('utf8')).toBe('this is {not json');
      const job = await waitForJob(api, jobId);
      expect(job).toMatchObject({ status: 'dead', attempts: 1, error: 'message body is not valid JSON' });
      expect(await workoutRows(jobId)).toBe(0);
    });

    it('dead-letters a message without a job id', async () => {
      const marker = `no-id-${randomUUID()}`;
      await publishRaw(marker);
      const letter = await workoutsDead.waitFor('the message without id', (message) => message.content.toString('utf8') === marker, DEAD_LETTER_WAIT_MS);
      expect(letter.properties.messageId).toBeUndefined();
      expect(header(letter, 'x-baton-error')).toContain('no job id');
    });

    it('dead-letters a message with a valid-looking id of a job that does not exist, creating none', async () => {
      const jobId = randomUUID();
      await publishRaw(JSON.stringify(workoutBody()), { messageId: jobId });
      const letter = await workoutsDead.waitFor('the unknown job', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
      expect(header(letter, 'x-baton-error')).toBe(`no workouts job with id ${jobId}`);
      expect(await countRows(db, 'SELECT count(*) FROM jobs WHERE id = $1', [jobId])).toBe(0);
      expect(await workoutRows(jobId)).toBe(0);
    });

    it('dead-letters a payload that fails validation and marks its job dead after one attempt', async () => {
      const jobId = randomUUID();
      await insertJob(db, { id: jobId, type: 'workouts', payload: workoutBody() });
      await publishRaw(JSON.stringify(workoutBody({ durationSec: -1, sets: [{ exercise: 'squat', reps: 0 }], extra: 1 })), { messageId: jobId });

      const letter = await workoutsDead.waitFor('the invalid payload', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
      expect(header(letter, 'x-baton-error')).toMatch(/^invalid payload: /);
      const job = await waitForJob(api, jobId);
      expect(job).toMatchObject({ status: 'dead', attempts: 1 });
      expect(job.error).toMatch(/^invalid payload: /);
      for (const field of ['durationSec', 'sets.0.reps', 'extra']) expect(job.error).toContain(field);
      expect(await workoutRows(jobId)).toBe(0);
    });

    it('dead-letters a JSON array payload for an existing job', async () => {
      const jobId = randomUUID();
      await insertJob(db, { id: jobId, type: 'workouts', payload: workoutBody() });
      await publishRaw(JSON.stringify([workoutBody()]), { messageId: jobId });
      await workoutsDead.waitFor('the array payload', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
      const job = await waitForJob(api, jobId);
      expect(job).toMatchObject({ status: 'dead', attempts: 1 });
      expect(job.error).toContain('must be a JSON object');
    });

    it('dead-letters a payload nested too deep to validate, and marks its job dead after one attempt', async () => {
      const jobId = randomUUID();
      await insertJob(db, { id: jobId, type: 'workouts', payload: workoutBody() });
      const body = JSON.stringify(workoutBody()).replace('"leg day"', '['.repeat(20_000) + ']'.repeat(20_000));
      await publishRaw(body, { messageId: jobId });

      const letter = await workoutsDead.waitFor('the deeply nested payload', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
      expect(letter.properties.headers?.['x-death']).toBeUndefined();
      expect(header(letter, 'x-baton-error')).toMatch(/payload/i);
      const job = await waitForJob(api, jobId);
      expect(job).toMatchObject({ status: 'dead', attempts: 1 });
      expect(job.error).toMatch(/payload/i);
    });

    it("dead-letters a message whose type does not match its queue, to its own type's dead-letter queue, without touching the job", async () => {
      const jobId = randomUUID();
      await insertJob(db, { id: jobId, type: 'invoices', payload: invoiceBody() });
      await publishRaw(JSON.stringify(invoiceBody()), { messageId: jobId, type: 'invoices', routingKey: 'workouts' });
      // Its type says invoice: it goes where invoices are dead-lettered (and from where a re-drive reaches the right queue).
      const letter = await invoicesDead.waitFor('the mistyped message', (message) => message.properties.messageId === jobId, DEAD_LETTER_WAIT_MS);
      expect(header(letter, 'x-baton-error')).toBe('message of type invoices on queue workouts');
      const [row] = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM jobs WHERE id = $1', [jobId]);
      expect(row).toEqual({ status: 'queued', attempts: 0 });
    });

    it('dead-letters a message whose id is not a UUID at once, with a reason, instead of redelivering it', async () => {
      const messageId = `not-a-uuid-${randomUUID()}`;
      await publishRaw(JSON.stringify(workoutBody()), { messageId });
      const letter = await workoutsDead.waitFor('the message with a malformed id', (message) => message.properties.messageId === messageId, DEAD_LETTER_WAIT_MS);
      // Baton itself must have given up on it, with its reason; not the broker, after the
      // delivery limit (x-death reason delivery_limit) of a redelivery loop.
      expect(letter.properties.headers?.['x-death']).toBeUndefined();
      expect(header(letter, 'x-baton-error')).toMatch(/job id|uuid/i);
    });

    it('keeps the worker ready and the work queue drained after all of that', async () => {
      await waitUntilSettled(vhost!, 'workouts', 10_000);
      expect((await get(workoutWorker.url, '/health/ready')).status).toBe(200);
      expect((await get(invoiceWorker.url, '/health/ready')).status).toBe(200);
      expect(workoutWorker.running).toBe(true);

      // And it still does real work.
      const accepted = await post(api.url, '/v1/workouts', workoutBody({ userId: 'after-poison' }));
      const job = await waitForJob(api, accepted.body.jobId);
      expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    });
  });
});
