/**
 * Signed webhooks, end to end: a tenant registers an endpoint over HTTP,
 * a job completes, and a receiver on a loopback port (allowed by
 * WEBHOOK_ALLOWED_HOSTS, over plain http with WEBHOOK_ALLOW_HTTP) gets a
 * POST it verifies with the `standardwebhooks` package. Retries, the
 * deliveries API, replay, secret rotation, 410, tenant isolation, and the
 * registration's refusals.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { BatonClient, Job, verifyWebhook, WebhookDelivery } from '@baton/client';
import {
  Baton,
  batonEnv,
  bearer,
  createTestBroker,
  createTestDatabase,
  runCli,
  startBaton,
  storeApiKey,
  StoredKey,
  TEST_API_KEY,
  TestDatabase,
  TestVhost,
  waitFor,
  WebhookReceiver,
  workoutBody,
} from '../support';
import { get, post, request, stopAll, UUID_PATTERN } from './e2e-support';

describe('webhooks', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let baton: Baton;
  let receiver: WebhookReceiver;
  let reader: StoredKey;
  let otherTenant: StoredKey;
  /** The happy paths go through the typed client, as a mobile backend's would; refusals are raw HTTP. */
  const client = (key = TEST_API_KEY) => new BatonClient({ baseUrl: baton.api.url, apiKey: key });

  beforeAll(async () => {
    [db, vhost, receiver] = await Promise.all([createTestDatabase('baton_e2e_webhooks'), createTestBroker('baton_e2e_webhooks'), WebhookReceiver.start()]);
    [reader, otherTenant] = await Promise.all([storeApiKey(db.url, { scopes: ['jobs:write', 'jobs:read'] }), storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] })]);
    baton = await startBaton({
      ...batonEnv(db, vhost),
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_ALLOW_HTTP: '1',
      WEBHOOK_RETRY_SCHEDULE_SEC: '1,1',
      WEBHOOK_TIMEOUT_MS: '2000',
      RELAY_INTERVAL_MS: '100',
    });
  }, 90_000);

  afterAll(async () => {
    await stopAll(baton?.processes ?? []);
    await receiver?.close();
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  async function register(events: string[], path = `/hooks/${randomUUID()}`, key?: StoredKey) {
    const endpoint = await client(key?.key).createWebhookEndpoint({ url: receiver.url(path), events: events as never, description: `test ${path}` });
    return { ...endpoint, path };
  }

  async function completedWorkout(): Promise<Job> {
    const { jobId } = await client().submit('workouts', workoutBody() as never);
    const job = await client().waitForJob(jobId, { timeoutMs: 20_000, intervalMs: 50 });
    expect(job.status).toBe('completed');
    return job;
  }

  async function deliveriesOf(endpointId: string, key?: StoredKey): Promise<WebhookDelivery[]> {
    return (await client(key?.key).listWebhookDeliveries({ endpointId })).deliveries;
  }

  async function settledDelivery(endpointId: string, status: WebhookDelivery['status']): Promise<WebhookDelivery> {
    return waitFor(`a ${status} delivery to ${endpointId}`, async () => (await deliveriesOf(endpointId)).find((delivery) => delivery.status === status));
  }

  describe('endpoints', () => {
    it('are registered with a secret shown once, listed, changed, rotated and removed', async () => {
      const endpoint = await register(['job.*']);
      expect(endpoint).toEqual({
        id: expect.stringMatching(UUID_PATTERN),
        url: receiver.url(endpoint.path),
        events: ['job.*'],
        description: `test ${endpoint.path}`,
        disabled: false,
        disabledReason: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        path: endpoint.path,
      });

      const listed = await client().listWebhookEndpoints();
      expect(listed.find((each) => each.id === endpoint.id)).toMatchObject({ id: endpoint.id, url: endpoint.url, events: ['job.*'] });
      expect(JSON.stringify(listed)).not.toContain('whsec_');

      const patched = await client().updateWebhookEndpoint(endpoint.id, { events: ['workout.saved'], disabled: true });
      expect(patched).toMatchObject({ events: ['workout.saved'], disabled: true, description: `test ${endpoint.path}` });
      expect(patched).not.toHaveProperty('secret');

      const rotated = await client().rotateWebhookSecret(endpoint.id);
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(endpoint.secret);

      await client().deleteWebhookEndpoint(endpoint.id);
      expect((await get(baton.api.url, `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
      expect((await request(baton.api.url, 'DELETE', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
    });

    it('need the admin scope', async () => {
      const answer = await post(baton.api.url, '/v1/webhook-endpoints', { url: receiver.url('/x'), events: ['*'] }, bearer(reader.key));
      expect(answer.status).toBe(403);
      expect((await get(baton.api.url, '/v1/webhook-deliveries', bearer(reader.key))).status).toBe(403);
    });

    it.each([
      ['a link-local (metadata) address', 'http://169.254.169.254/latest/meta-data/'],
      ['a loopback address not in WEBHOOK_ALLOWED_HOSTS', 'http://127.0.0.2:8080/hook'],
      ['IPv6 loopback', 'http://[::1]:8080/hook'],
      ['an IPv4-mapped private address', 'http://[::ffff:10.0.0.1]/hook'],
      ['a private address', 'http://10.1.2.3/hook'],
      ['an unspecified address', 'http://0.0.0.0/hook'],
      ['a URL over 2,048 characters', `https://example.com/${'a'.repeat(2048)}`],
      ['a non-URL', 'not a url'],
      ['credentials in the URL', 'https://user:pass@example.com/hook'],
      ['another scheme', 'ftp://example.com/hook'],
    ])('are refused for %s, with 400 naming url', async (_what, url) => {
      const answer = await post(baton.api.url, '/v1/webhook-endpoints', { url, events: ['*'] });
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(['url']);
    });

    it('are refused for unknown event types, with 400 naming events', async () => {
      const answer = await post(baton.api.url, '/v1/webhook-endpoints', { url: receiver.url('/x'), events: ['job.exploded'] });
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(['events']);
    });
  });

  describe('a delivery', () => {
    it('is one POST per event, signed as Standard Webhooks says, naming the job and the workout', async () => {
      const endpoint = await register(['job.completed']);
      const job = await completedWorkout();
      const [delivery] = await receiver.waitForRequests(endpoint.path, 1);

      const event = new Webhook(endpoint.secret).verify(delivery.body, delivery.headers as Record<string, string>) as any;
      // The client's verifyWebhook reads the same delivery.
      expect(verifyWebhook(delivery.headers, delivery.body, endpoint.secret)).toEqual(event);
      expect(Math.abs(Date.now() / 1000 - Number(delivery.headers['webhook-timestamp']))).toBeLessThan(300);
      expect(event).toEqual({
        id: expect.stringMatching(UUID_PATTERN),
        type: 'job.completed',
        timestamp: expect.any(String),
        tenant: expect.any(String),
        jobId: job.id,
        correlationId: expect.any(String),
        dataVersion: 1,
        data: { ...job, result: { workoutId: expect.stringMatching(UUID_PATTERN) } },
      });
      expect(event.data.result.workoutId).toBe(job.result?.workoutId);
      expect(await client().getWorkout(event.data.result.workoutId)).toMatchObject({ jobId: job.id });
      expect(() => new Webhook(`whsec_${Buffer.from('another secret').toString('base64')}`).verify(delivery.body, delivery.headers as Record<string, string>)).toThrow();

      const succeeded = await settledDelivery(endpoint.id, 'succeeded');
      expect(succeeded).toMatchObject({ id: delivery.headers['webhook-id'], eventId: event.id, eventType: 'job.completed', endpointId: endpoint.id });
      expect(receiver.requestsTo(endpoint.path)).toHaveLength(1);
    });

    it('is retried on 500 with one webhook-id, and the deliveries API lists every attempt', async () => {
      const path = `/hooks/${randomUUID()}`;
      receiver.script(path, [500, 500]);
      const endpoint = await register(['workout.saved'], path);
      await completedWorkout();

      const attempts = await receiver.waitForRequests(path, 3);
      expect(new Set(attempts.map((attempt) => attempt.headers['webhook-id'])).size).toBe(1);
      const delivery = await settledDelivery(endpoint.id, 'succeeded');
      expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 500, 200]);
      expect(delivery.attempts[0]).toEqual({ at: expect.any(String), statusCode: 500, durationMs: expect.any(Number), error: null, responseExcerpt: 'answered 500' });
      expect(receiver.requestsTo(path)).toHaveLength(3);
      const event = JSON.parse(attempts[2].body);
      expect(event.type).toBe('workout.saved');
      expect(event.data).toMatchObject({ workoutId: expect.stringMatching(UUID_PATTERN), userId: 'user-1', activity: 'strength', durationSec: 3600 });
    });

    it('fails once the schedule runs out, leaving the job completed; replay delivers it', async () => {
      const away = await WebhookReceiver.start();
      const path = '/away';
      const answer = await post(baton.api.url, '/v1/webhook-endpoints', { url: away.url(path), events: ['job.completed'] });
      expect(answer.status).toBe(201);
      const endpointId: string = answer.body.id;
      await away.close();
      try {
        const job = await completedWorkout();
        const failed = await settledDelivery(endpointId, 'failed');
        expect(failed.attempts).toHaveLength(3);
        for (const attempt of failed.attempts) expect(attempt).toMatchObject({ statusCode: null, error: expect.any(String) });
        expect((await client().getJob(job.id)).status).toBe('completed');

        await away.listen();
        expect(await client().replayWebhookDelivery(failed.id)).toMatchObject({ id: failed.id, status: 'pending' });
        const [delivered] = await away.waitForRequests(path, 1);
        expect(delivered.headers['webhook-id']).toBe(failed.id);
        expect(JSON.parse(delivered.body).jobId).toBe(job.id);
        const succeeded = await settledDelivery(endpointId, 'succeeded');
        expect(succeeded.attempts).toHaveLength(4);
      } finally {
        await away.close();
      }
    });

    it('to an endpoint that answers 410 fails at once and disables the endpoint', async () => {
      const path = `/hooks/${randomUUID()}`;
      receiver.script(path, [410]);
      const endpoint = await register(['job.completed'], path);
      await completedWorkout();
      const failed = await settledDelivery(endpoint.id, 'failed');
      expect(failed.attempts.map((attempt) => attempt.statusCode)).toEqual([410]);
      expect(await client().getWebhookEndpoint(endpoint.id)).toMatchObject({ disabled: true, disabledReason: expect.stringContaining('410') });
      expect((await post(baton.api.url, `/v1/webhook-deliveries/${failed.id}/replay`, {})).status).toBe(409);
    });

    it('is signed with both secrets during a rotation, so either verifies', async () => {
      const endpoint = await register(['job.completed']);
      const rotated = await client().rotateWebhookSecret(endpoint.id);
      await completedWorkout();
      const [delivery] = await receiver.waitForRequests(endpoint.path, 1);
      expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const secret of [endpoint.secret, rotated.secret]) {
        expect(new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>)).toMatchObject({ type: 'job.completed' });
      }
    });

    it("never carries another tenant's events", async () => {
      const theirs = await register(['*'], `/hooks/${randomUUID()}`, otherTenant);
      const ours = await register(['job.completed']);
      const job = await completedWorkout();
      await receiver.waitForRequests(ours.path, 1);
      await settledDelivery(ours.id, 'succeeded');
      expect(receiver.requestsTo(theirs.path).filter((request) => JSON.parse(request.body).jobId === job.id)).toEqual([]);
      expect(await deliveriesOf(ours.id, otherTenant)).toEqual([]);
      expect((await post(baton.api.url, `/v1/webhook-deliveries/${(await deliveriesOf(ours.id))[0].id}/replay`, {}, bearer(otherTenant.key))).status).toBe(404);
    });
  });

  describe("the operators' CLI", () => {
    const baton_ = (...args: string[]) => runCli(['webhooks', ...args], { DATABASE_URL: db.url });

    it('lists endpoints without their secrets, lists deliveries, and replays a failed one', async () => {
      const path = `/hooks/${randomUUID()}`;
      receiver.script(path, [500, 500, 500]);
      const endpoint = await register(['job.completed'], path);
      await completedWorkout();
      const failed = await settledDelivery(endpoint.id, 'failed');

      const listed = await baton_('list', '--tenant', 'e2e', '--json');
      expect(listed.code).toBe(0);
      const endpoints = JSON.parse(listed.stdout);
      expect(endpoints).toContainEqual(expect.objectContaining({ id: endpoint.id, tenant: 'e2e', url: endpoint.url, events: ['job.completed'] }));
      expect(listed.stdout).not.toContain('whsec_');
      const table = await baton_('list');
      expect(table.stdout).toMatch(new RegExp(`${endpoint.id}\\s+e2e\\s+${endpoint.url.replace(/[.]/g, '\\.')}`));

      const deliveries = await baton_('deliveries', '--endpoint', endpoint.id, '--status', 'failed', '--json');
      expect(deliveries.code).toBe(0);
      expect(JSON.parse(deliveries.stdout)).toEqual([expect.objectContaining({ id: failed.id, status: 'failed', attempts: expect.any(Array) })]);
      expect(JSON.parse(deliveries.stdout)[0].attempts.map((attempt: { statusCode: number | null }) => attempt.statusCode)).toEqual([500, 500, 500]);

      const replayed = await baton_('replay', failed.id);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toContain(`webhook delivery ${failed.id} (job.completed) is pending again`);
      await receiver.waitForRequests(path, 4);
      await settledDelivery(endpoint.id, 'succeeded');
    });

    it('refuses to replay an unknown delivery, and a bad command line', async () => {
      expect((await baton_('replay', randomUUID())).code).toBe(1);
      expect((await baton_('replay', 'not-an-id')).code).toBe(1);
      expect((await baton_('deliveries', '--status', 'lost')).code).toBe(2);
      expect((await baton_('frobnicate')).code).toBe(2);
    });
  });
});
