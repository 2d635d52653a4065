/**
 * At-least-once delivery, exactly-once effect: a job delivered again (a
 * redelivery, a relay republish, a duplicate publish) is stored once. And the
 * relay gets every accepted job onto the broker, even one never published.
 */
import { randomUUID } from 'node:crypto';
import { BatonProcess, createTestDatabase, createTestVhost, describeWithServices, invoiceBody, startApi, startWorker, TestDatabase, TestVhost, waitFor, workoutBody } from '../support';
import { Broker, countRows, insertJob, openBroker, post, QueueCollector, stopAll, waitForJob, waitUntilSettled } from './e2e-support';

describeWithServices('publishes duplicate messages to baton.jobs over AMQP, to two worker processes, and reads the queues', 'no duplicates', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let api: BatonProcess;
  let workers: BatonProcess[] = [];
  let broker: Broker;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_no_duplicates'), createTestVhost('baton_e2e_no_duplicates')]);
    const env = { DATABASE_URL: db.url, RABBITMQ_URL: vhost.url };
    api = await startApi({ ...env, RELAY_INTERVAL_MS: '200' }, { ready: false });
    workers = [await startWorker(env, { ready: false }), await startWorker(env, { ready: false })];
    await Promise.all([api, ...workers].map((child) => child.waitUntilReady()));
    broker = await openBroker(vhost);
  });

  afterAll(async () => {
    await broker?.close();
    const exits = await stopAll([api, ...workers]);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });

  const rowsFor = (table: 'workouts' | 'invoices', jobId: string) => countRows(db, `SELECT count(*) FROM ${table} WHERE job_id = $1`, [jobId]);

  /** Publishes a job's message as the API does: to baton.jobs, routed by type, identified by messageId. */
  function publishJob(type: 'workouts' | 'invoices', jobId: string, payload: object) {
    return broker.publish('baton.jobs', type, JSON.stringify(payload), {
      persistent: true,
      contentType: 'application/json',
      messageId: jobId,
      type,
      appId: 'baton',
      headers: { 'x-baton-attempt': 1 },
    });
  }

  it('stores a completed workout job once, however often its message is delivered again', async () => {
    const body = workoutBody({ userId: 'dup-workout' });
    const accepted = await post(api.url, '/v1/workouts', body);
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.jobId as string;
    const done = await waitForJob(api, jobId);
    expect(done.status).toBe('completed');

    for (let copy = 0; copy < 3; copy++) await publishJob('workouts', jobId, body);
    // Every copy was taken and acknowledged: nothing ready, nothing held by a worker.
    await waitUntilSettled(vhost, 'workouts');

    expect(await rowsFor('workouts', jobId)).toBe(1);
    expect(await countRows(db, 'SELECT count(*) FROM workout_sets s JOIN workouts w ON w.id = s.workout_id WHERE w.job_id = $1', [jobId])).toBe(2);
    const after = await waitForJob(api, jobId);
    expect(after).toMatchObject({ status: 'completed', result: done.result, completedAt: done.completedAt, attempts: done.attempts });
    // A duplicate of a completed job is dropped, not dead-lettered.
    const dead = new QueueCollector(broker, 'workouts.dead');
    await dead.drain();
    expect(dead.withMessageId(jobId)).toEqual([]);
  });

  it('stores a completed invoice job once (one invoice, one PDF), however often its message is delivered again', async () => {
    const body = invoiceBody({ orderId: 'dup-invoice' });
    const accepted = await post(api.url, '/v1/invoices', body);
    expect(accepted.status).toBe(202);
    const jobId = accepted.body.jobId as string;
    const done = await waitForJob(api, jobId);
    expect(done.status).toBe('completed');

    await Promise.all([0, 1, 2].map(() => publishJob('invoices', jobId, body)));
    await waitUntilSettled(vhost, 'invoices');

    expect(await rowsFor('invoices', jobId)).toBe(1);
    expect(await countRows(db, 'SELECT count(*) FROM invoice_pdfs p JOIN invoices i ON i.id = p.invoice_id WHERE i.job_id = $1', [jobId])).toBe(1);
    expect(await countRows(db, 'SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.job_id = $1', [jobId])).toBe(2);
    expect(await waitForJob(api, jobId)).toMatchObject({ status: 'completed', result: done.result, completedAt: done.completedAt });
  });

  it('stores a job once when 5 copies of it arrive at once at 2 workers before it ever ran', async () => {
    expect(workers.every((worker) => worker.running)).toBe(true);
    const jobId = randomUUID();
    const payload = workoutBody({ userId: 'dup-race', sets: Array.from({ length: 30 }, (_, index) => ({ exercise: `e${index}`, reps: index + 1 })) });
    // Recorded as the API would, but published by the test only (published_at set, so the relay leaves it alone).
    await insertJob(db, { id: jobId, type: 'workouts', payload, maxAttempts: 5, published: true });

    await Promise.all(Array.from({ length: 5 }, () => publishJob('workouts', jobId, payload)));
    const job = await waitForJob(api, jobId);
    await waitUntilSettled(vhost, 'workouts');

    expect(job.status).toBe('completed');
    expect(job.attempts).toBeGreaterThanOrEqual(1);
    expect(job.attempts).toBeLessThanOrEqual(5);
    expect(await rowsFor('workouts', jobId)).toBe(1);
    expect(await countRows(db, 'SELECT count(*) FROM workout_sets s JOIN workouts w ON w.id = s.workout_id WHERE w.job_id = $1', [jobId])).toBe(30);
    expect((await waitForJob(api, jobId)).result).toEqual(job.result);
  });

  it('relays a job whose row was committed but never published: published, completed, published_at set', async () => {
    const alreadyPublished = randomUUID();
    const neverPublished = randomUUID();
    // A job marked published must not be published again by the relay (it is left queued here on purpose).
    await insertJob(db, { id: alreadyPublished, type: 'workouts', payload: workoutBody({ userId: 'relay-skip' }), maxAttempts: 5, published: true, ageSeconds: 5 });
    // As the API leaves a job whose publish failed after commit: published_at NULL, a few seconds old.
    await insertJob(db, { id: neverPublished, type: 'workouts', payload: workoutBody({ userId: 'relay-me' }), maxAttempts: 5, published: false, ageSeconds: 5 });

    const job = await waitForJob(api, neverPublished, ['completed', 'dead'], 15_000);
    expect(job).toMatchObject({ status: 'completed', attempts: 1, error: null });
    expect(await rowsFor('workouts', neverPublished)).toBe(1);
    const published = await waitFor('published_at of the relayed job', async () => {
      const [row] = await db.query<{ published_at: Date | null }>('SELECT published_at FROM jobs WHERE id = $1', [neverPublished]);
      return row.published_at ?? undefined;
    }, 5_000);
    expect(published).toBeInstanceOf(Date);

    // The sweep that relayed it also saw the other row, and left it alone.
    const [skipped] = await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM jobs WHERE id = $1', [alreadyPublished]);
    expect(skipped).toEqual({ status: 'queued', attempts: 0 });
    expect(await rowsFor('workouts', alreadyPublished)).toBe(0);
  });

  it('relays a just-accepted job once it is old enough', async () => {
    const jobId = randomUUID();
    await insertJob(db, { id: jobId, type: 'workouts', payload: workoutBody({ userId: 'relay-young' }), maxAttempts: 5, published: false, ageSeconds: 0 });
    const job = await waitForJob(api, jobId, ['completed', 'dead'], 15_000);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    const [row] = await db.query<{ published_at: Date; created_at: Date }>('SELECT published_at, created_at FROM jobs WHERE id = $1', [jobId]);
    // The sweep leaves jobs younger than 2 s to the request that accepted them.
    expect(row.published_at.getTime() - row.created_at.getTime()).toBeGreaterThanOrEqual(1_900);
    await waitUntilSettled(vhost, 'workouts');
    expect(await rowsFor('workouts', jobId)).toBe(1);
  });
});
