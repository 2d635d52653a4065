/**
 * Dead jobs and dead letters in bulk over HTTP: `POST /v1/jobs/retry-dead`
 * (an admin's tenant, or an operator's every tenant) and
 * `POST /v1/queues/:name/dead-letters/purge` (operators only). Jobs die of
 * a trigger in the suite's own database (installPoison), and live again
 * once it is off.
 */
import { randomUUID } from 'node:crypto';
import {
  Baton,
  batonEnv,
  bearer,
  createTestBroker,
  createTestDatabase,
  describeWithServices,
  freePort,
  startApi,
  startBaton,
  storeApiKey,
  StoredKey,
  TestDatabase,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';
import { Answer, Broker, get, installPoison, JobView, openBroker, POISON_MESSAGE, post, setPoison, stopAll, waitForJob, waitUntilLive } from './e2e-support';

describe('dead jobs and dead letters over HTTP', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let operator: StoredKey;
  let otherAdmin: StoredKey;
  let writer: StoredKey;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_dead_letters'), createTestBroker('baton_e2e_dead_letters')]);
    await installPoison(db);
    [operator, otherAdmin, writer] = await Promise.all([
      storeApiKey(db.url, { tenant: 'operators', scopes: ['operator'] }),
      storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] }),
      storeApiKey(db.url, { scopes: ['jobs:write', 'jobs:read'] }),
    ]);
    baton = await startBaton({ ...batonEnv(db, vhost), JOB_MAX_ATTEMPTS: '2', JOB_RETRY_BASE_MS: '50', JOB_RETRY_MAX_MS: '100' });
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  /** A workout that dies (the poison is on), submitted with `key` (the suite's admin key of tenant e2e by default). */
  async function deadJob(key?: StoredKey): Promise<string> {
    const headers = key ? bearer(key.key) : {};
    const answer = await post(baton.api.url, '/v1/workouts', workoutBody({ userId: `poison-${randomUUID().slice(0, 8)}` }), headers);
    expect(answer.status).toBe(202);
    const job = await waitForJob(baton.api, answer.body.jobId, ['dead', 'completed'], 20_000, key?.key);
    expect(job.status).toBe('dead');
    return job.id;
  }

  const retryDead = (body: unknown, key?: StoredKey): Promise<Answer> => post(baton.api.url, '/v1/jobs/retry-dead', body, key ? bearer(key.key) : {});
  const statusOf = async (jobId: string, key?: StoredKey): Promise<string> => (await get<JobView>(baton.api.url, `/v1/jobs/${jobId}`, key ? bearer(key.key) : {})).body.status;

  describe('POST /v1/jobs/retry-dead', () => {
    // Each test leaves no dead job behind, so that the next one counts from zero.
    afterEach(async () => {
      await setPoison(db, true);
    });

    it("retries an admin's own tenant's dead jobs only, counted first with dryRun; they run again as their payload dictates", async () => {
      const ours = [await deadJob(), await deadJob()];
      const theirs = await deadJob(otherAdmin);

      expect((await retryDead({ type: 'workouts', dryRun: true })).body).toEqual({ retried: 0, wouldRetry: 2 });
      expect(await statusOf(ours[0])).toBe('dead');

      // Still poisoned: a retried job runs its full budget again, and dies again.
      const again = await retryDead({ type: 'workouts' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ retried: 2 });
      for (const jobId of ours) {
        const job = await waitForJob(baton.api, jobId, ['dead'], 20_000);
        expect(job.attempts).toBe(2);
        expect(job.errors).toHaveLength(4);
        expect(job.error).toContain(POISON_MESSAGE);
      }

      await setPoison(db, false);
      expect((await retryDead({})).body).toEqual({ retried: 2 });
      for (const jobId of ours) expect((await waitForJob(baton.api, jobId)).status).toBe('completed');
      expect(await statusOf(theirs, otherAdmin)).toBe('dead');

      expect((await retryDead({}, otherAdmin)).body).toEqual({ retried: 1 });
      expect((await waitForJob(baton.api, theirs, undefined, 20_000, otherAdmin.key)).status).toBe('completed');
    });

    it("retries every tenant's dead jobs for an operator, oldest first, at most `limit`, or one tenant's it names", async () => {
      const theirs = await deadJob(otherAdmin);
      const [older, newer] = [await deadJob(), await deadJob()];
      await setPoison(db, false);

      expect((await retryDead({ dryRun: true }, operator)).body).toEqual({ retried: 0, wouldRetry: 3 });
      expect((await retryDead({ type: 'invoices' }, operator)).body).toEqual({ retried: 0 });

      expect((await retryDead({ limit: 2 }, operator)).body).toEqual({ retried: 2 });
      expect((await waitForJob(baton.api, theirs, undefined, 20_000, otherAdmin.key)).status).toBe('completed');
      expect((await waitForJob(baton.api, older)).status).toBe('completed');
      expect(await statusOf(newer)).toBe('dead');

      expect((await retryDead({ tenant: 'other-tenant' }, operator)).body).toEqual({ retried: 0 });
      expect((await retryDead({ tenant: 'e2e' }, operator)).body).toEqual({ retried: 1 });
      expect((await waitForJob(baton.api, newer)).status).toBe('completed');
    });

    it.each([
      [{ limit: 0 }, 'limit'],
      [{ limit: 1001 }, 'limit'],
      [{ limit: 1.5 }, 'limit'],
      [{ limit: '5' }, 'limit'],
      [{ type: 'workout' }, 'type'],
      [{ dryRun: 'yes' }, 'dryRun'],
      [{ tenant: '' }, 'tenant'],
      [{ everything: true }, 'everything'],
    ])('answers %j with a 400 naming %s', async (body, field) => {
      const answer = await retryDead(body);
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    });

    it('needs admin; only an operator may name a tenant', async () => {
      const dead = await deadJob();
      expect((await retryDead({}, writer)).status).toBe(403);
      const naming = await retryDead({ tenant: 'e2e' });
      expect(naming.status).toBe(403);
      expect(naming.body.message).toContain('operator');
      expect(await statusOf(dead)).toBe('dead');
      await setPoison(db, false);
      expect((await retryDead({})).body).toEqual({ retried: 1 });
      expect((await waitForJob(baton.api, dead)).status).toBe('completed');
    });
  });

  describe('POST /v1/queues/:name/dead-letters/purge', () => {
    const purge = (name: string, key?: StoredKey): Promise<Answer> => post(baton.api.url, `/v1/queues/${name}/dead-letters/purge`, undefined, key ? bearer(key.key) : {});

    /** Purges until the letters of `count` jobs dead since the last purge are gone: a worker dead-letters just after it records the job dead. */
    async function purgeDeadLetters(count: number): Promise<number> {
      let purged = 0;
      await waitFor(`${count} dead letters to purge`, async () => {
        const answer = await purge('workouts', operator);
        expect(answer.status).toBe(200);
        expect(answer.body.queue).toBe('workouts.dead');
        purged += answer.body.purged;
        return purged >= count ? true : undefined;
      });
      return purged;
    }

    it('deletes the letters and leaves the jobs dead, for operators only', async () => {
      await purge('workouts', operator);
      const dead = await deadJob();
      expect((await purge('workouts')).status).toBe(403);
      expect((await purge('workouts', otherAdmin)).status).toBe(403);

      expect(await purgeDeadLetters(1)).toBe(1);
      expect((await purge('workouts', operator)).body).toEqual({ queue: 'workouts.dead', purged: 0 });
      expect(await statusOf(dead)).toBe('dead');
    });

    it('answers 404 naming an unknown queue', async () => {
      const answer = await purge('workout', operator);
      expect(answer.status).toBe(404);
      expect(answer.body.message).toContain('No queue workout:');
    });

    describeWithServices('reads the dead-letter queue over AMQP', 'on RabbitMQ', () => {
      let broker: Broker;

      beforeAll(async () => {
        broker = await openBroker(vhost!);
      });

      afterAll(async () => {
        await broker?.close();
      });

      it('empties <type>.dead', async () => {
        const dead = [await deadJob(), await deadJob()];
        await waitFor('both dead letters in workouts.dead', async () => ((await broker.checkQueue('workouts.dead')).messageCount >= 2 ? true : undefined));
        const { messageCount } = await broker.checkQueue('workouts.dead');
        expect((await purge('workouts', operator)).body).toEqual({ queue: 'workouts.dead', purged: messageCount });
        expect((await broker.checkQueue('workouts.dead')).messageCount).toBe(0);
        for (const jobId of dead) expect(await statusOf(jobId)).toBe('dead');
      });

      it('answers 503 with Retry-After while the API cannot reach RabbitMQ', async () => {
        const unreachable = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
        const lonely = await startApi({ ...batonEnv(db, vhost), RABBITMQ_URL: unreachable }, { ready: false });
        try {
          await waitUntilLive(lonely);
          const answer = await post(lonely.url, '/v1/queues/workouts/dead-letters/purge', undefined, bearer(operator.key));
          expect(answer.status).toBe(503);
          expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
        } finally {
          await stopAll([lonely]);
        }
      });
    });
  });
});
