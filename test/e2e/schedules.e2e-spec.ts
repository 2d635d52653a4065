/**
 * Recurring schedules over HTTP, end to end: in services mode three API
 * processes and a worker on one PostgreSQL database and RabbitMQ vhost, as
 * three replicas run; in embedded mode the one standalone process of `npm
 * start`. A schedule of every two seconds creates exactly one job per tick
 * whatever the number of replicas, and none once deleted. The routes'
 * refusals, tenants, scopes, and the operators' CLI.
 */
import { randomUUID } from 'node:crypto';
import { BatonClient, Job, Schedule } from '@baton/client';
import {
  batonEnv,
  BatonProcess,
  bearer,
  createTestBroker,
  createTestDatabase,
  runCli,
  startApi,
  startBaton,
  storeApiKey,
  StoredKey,
  TEST_API_KEY,
  TestDatabase,
  TestVhost,
  testMode,
  waitFor,
  welcomeEmailBody,
  workoutBody,
} from '../support';
import { get, post, request, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

const EVERY_TWO_SECONDS = '*/2 * * * * *';
const SCHEDULE_FIELDS = ['createdAt', 'cron', 'id', 'name', 'nextRunAt', 'paused', 'payload', 'timezone', 'type'];

describe('schedules', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  /** Every process that serves the API: three in services mode, the standalone process in embedded mode. */
  let apis: BatonProcess[] = [];
  let reader: StoredKey;
  let writer: StoredKey;
  let otherTenant: StoredKey;
  const client = (key = TEST_API_KEY, api = apis[0]) => new BatonClient({ baseUrl: api.url, apiKey: key });

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_schedules'), createTestBroker('baton_e2e_schedules')]);
    [reader, writer, otherTenant] = await Promise.all([
      storeApiKey(db.url, { scopes: ['jobs:read'] }),
      storeApiKey(db.url, { scopes: ['jobs:write'] }),
      storeApiKey(db.url, { tenant: 'other-tenant', scopes: ['admin'] }),
    ]);
    // Emails on at the API, for their admission check; no worker takes them (no mail server here).
    const env = { ...batonEnv(db, vhost), DISABLED_JOB_TYPES: '', WORKER_QUEUES: 'workouts,invoices,webhooks', RELAY_INTERVAL_MS: '200' };
    const baton = await startBaton(env);
    processes = [...baton.processes];
    apis = [baton.api];
    if (testMode() === 'services') {
      const replicas = await Promise.all([startApi(env, { ready: false }), startApi(env, { ready: false })]);
      processes.push(...replicas);
      apis.push(...replicas);
      await Promise.all(replicas.map((replica) => replica.waitUntilReady()));
    }
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  const everyTwoSeconds = (name = `every two seconds ${randomUUID().slice(0, 8)}`) =>
    client().createSchedule({ name, cron: EVERY_TWO_SECONDS, timezone: 'UTC', type: 'workouts', payload: workoutBody() });

  /** The jobs a schedule created, by its tick (runAt), oldest first: read through GET /v1/jobs?scheduleId=. */
  async function jobsOf(scheduleId: string): Promise<Job[]> {
    const jobs: Job[] = [];
    let cursor: string | undefined;
    do {
      const page = await client().listJobs({ scheduleId, limit: 100, cursor });
      jobs.push(...page.jobs);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return jobs.sort((a, b) => a.runAt!.localeCompare(b.runAt!));
  }

  async function createdCounts(): Promise<number[]> {
    return Promise.all(
      apis.map(async (api) => {
        const metrics = (await get(api.url, '/metrics')).text;
        return Number(/^baton_schedule_ticks_total\{type="workouts",outcome="created"\} (\d+)$/m.exec(metrics)?.[1] ?? NaN);
      }),
    );
  }

  it(`creates exactly one job per tick of ${EVERY_TWO_SECONDS} over 20 s, whatever the number of API replicas; deleting it stops it`, async () => {
    const createdBefore = (await createdCounts()).reduce((sum, count) => sum + count, 0);
    const schedule = await everyTwoSeconds();
    const firstTick = Date.parse(schedule.nextRunAt!);

    const ticks = await waitFor(
      'ticks spanning 20 seconds',
      async () => {
        const jobs = await jobsOf(schedule.id);
        return jobs.length > 0 && Date.parse(jobs.at(-1)!.runAt!) - firstTick >= 20_000 ? jobs : undefined;
      },
      40_000,
      250,
    );
    await client().deleteSchedule(schedule.id);
    // The delete waited for any pass holding the schedule: what is stored now is all it ever creates.
    const jobs = await jobsOf(schedule.id);
    expect(jobs.length).toBeGreaterThanOrEqual(ticks.length);

    const expected = Array.from({ length: jobs.length }, (_, index) => new Date(firstTick + index * 2000).toISOString());
    expect(jobs.map((job) => job.runAt)).toEqual(expected);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(jobs.length);
    for (const job of jobs) expect(job).toMatchObject({ type: 'workouts', scheduleId: schedule.id });
    const rows = await db.query<{ ticks: string; distinct_ticks: string }>(
      `SELECT count(*) AS ticks, count(DISTINCT scheduled_for) AS distinct_ticks FROM jobs WHERE schedule_id = $1`,
      [schedule.id],
    );
    expect(rows).toEqual([{ ticks: String(jobs.length), distinct_ticks: String(jobs.length) }]);
    // Each job was created once, by one of the replicas.
    expect((await createdCounts()).reduce((sum, count) => sum + count, 0) - createdBefore).toBe(jobs.length);
    // And each runs.
    for (const job of jobs) expect((await waitForJob(apis[0], job.id)).status).toBe('completed');

    // Deleted, it ticks no more: a schedule created afterwards ticks twice meanwhile.
    const witness = await everyTwoSeconds();
    await waitFor('two ticks of a schedule created after the delete', async () => ((await jobsOf(witness.id)).length >= 2 ? true : undefined), 20_000, 250);
    await client().deleteSchedule(witness.id);
    expect((await jobsOf(schedule.id)).map((job) => job.id)).toEqual(jobs.map((job) => job.id));
    expect((await get(apis[0].url, `/v1/schedules/${schedule.id}`)).status).toBe(404);
  }, 90_000);

  it('answers 201 with the documented fields; reads, lists, pauses, resumes and changes it', async () => {
    const answer = await post(apis[0].url, '/v1/schedules', { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Paris', type: 'workouts', payload: workoutBody() });
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body).sort()).toEqual(SCHEDULE_FIELDS);
    const created: Schedule = answer.body;
    expect(created).toMatchObject({ id: expect.stringMatching(UUID_PATTERN), name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Paris', type: 'workouts', payload: workoutBody(), paused: false });
    // 02:00 in Paris is 00:00 or 01:00 UTC.
    expect(created.nextRunAt).toMatch(/T0[01]:00:00\.000Z$/);

    const last = apis.at(-1)!;
    expect(await client(reader.key, last).getSchedule(created.id)).toEqual(created);
    expect((await client(reader.key).listSchedules()).map((schedule) => schedule.id)).toContain(created.id);

    const paused = await client().updateSchedule(created.id, { paused: true });
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await client().updateSchedule(created.id, { paused: false });
    expect(resumed).toMatchObject({ paused: false, nextRunAt: created.nextRunAt });
    const changed = await client().updateSchedule(created.id, { cron: '30 7 * * MON', timezone: 'UTC', payload: workoutBody({ userId: 'user-2' }) });
    expect(changed).toMatchObject({ cron: '30 7 * * MON', timezone: 'UTC', payload: workoutBody({ userId: 'user-2' }), nextRunAt: expect.stringMatching(/T07:30:00\.000Z$/) });
    expect(new Date(changed.nextRunAt!).getUTCDay()).toBe(1);
    await client().deleteSchedule(created.id);
  });

  it('creates no job while paused, and none for the ticks missed meanwhile once resumed', async () => {
    const schedule = await client().updateSchedule((await everyTwoSeconds()).id, { paused: true });
    const witness = await everyTwoSeconds();
    await waitFor('two ticks of another schedule', async () => ((await jobsOf(witness.id)).length >= 2 ? true : undefined), 20_000, 250);
    const resumedAt = Date.now();
    const resumed = await client().updateSchedule(schedule.id, { paused: false });
    expect(Date.parse(resumed.nextRunAt!)).toBeGreaterThan(resumedAt - 1000);
    const [first] = await waitFor('a tick after the resume', async () => {
      const jobs = await jobsOf(schedule.id);
      return jobs.length > 0 ? jobs : undefined;
    });
    expect(first.runAt).toBe(resumed.nextRunAt);
    await Promise.all([client().deleteSchedule(schedule.id), client().deleteSchedule(witness.id)]);
  });

  it.each([
    ['a cron expression with 4 fields', { cron: '* * * *' }, ['cron']],
    ['a cron expression with a year', { cron: '0 0 0 1 1 * 2030' }, ['cron']],
    ['an out-of-range minute', { cron: '61 * * * *' }, ['cron']],
    ['a date that never comes', { cron: '0 0 30 2 *' }, ['cron']],
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, ['timezone']],
    ['a UTC offset for a time zone', { timezone: '+02:00' }, ['timezone']],
    ['a payload its type refuses', { payload: workoutBody({ durationSec: -1, sets: [{ exercise: 'squat', reps: 0 }] }) }, ['payload.durationSec', 'payload.sets.0.reps']],
    ['an unknown payload field', { payload: workoutBody({ mood: 'great' }) }, ['payload.mood']],
    ['an unknown job type', { type: 'pizzas' }, ['type']],
    ['an unknown field', { every: 'day' }, ['every']],
    ['no name', { name: undefined }, ['name']],
  ])('refuses %s with a 400 naming it', async (_what, overrides, fields) => {
    const body = { name: 'refused', cron: EVERY_TWO_SECONDS, timezone: 'UTC', type: 'workouts', payload: workoutBody(), ...overrides };
    const answer = await post(apis[0].url, '/v1/schedules', body);
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(fields);
  });

  it("runs the job type's admission check: an email may attach only an invoice of the tenant's own", async () => {
    const answer = await post(apis[0].url, '/v1/schedules', { name: 'mail', cron: '0 8 * * *', type: 'emails', payload: welcomeEmailBody({}, { invoiceId: randomUUID() }) });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(['payload.invoiceId']);
    const mail = await client().createSchedule({ name: 'mail', cron: '0 8 * * *', type: 'emails', payload: welcomeEmailBody() });
    expect(mail.timezone).toBe('UTC');
    const changed = await request(apis[0].url, 'PATCH', `/v1/schedules/${mail.id}`, { json: { payload: welcomeEmailBody({}, { invoiceId: randomUUID() }) } });
    expect(changed.status).toBe(400);
    expect(changed.body.errors.map((error: { field: string }) => error.field)).toEqual(['payload.invoiceId']);
    const patched = await request(apis[0].url, 'PATCH', `/v1/schedules/${mail.id}`, { json: { cron: '* *', timezone: 'Nowhere/Land' } });
    expect(patched.status).toBe(400);
    expect(patched.body.errors.map((error: { field: string }) => error.field)).toEqual(['timezone']);
    await client().deleteSchedule(mail.id);
  });

  it("answers another tenant's schedule as unknown (404), and lists none of it", async () => {
    const ours = await client().createSchedule({ name: 'ours', cron: '0 3 * * *', type: 'workouts', payload: workoutBody() });
    const theirs = { headers: bearer(otherTenant.key) };
    expect((await get(apis[0].url, `/v1/schedules/${ours.id}`, theirs.headers)).status).toBe(404);
    expect((await request(apis[0].url, 'PATCH', `/v1/schedules/${ours.id}`, { json: { paused: true }, apiKey: otherTenant.key })).status).toBe(404);
    expect((await request(apis[0].url, 'DELETE', `/v1/schedules/${ours.id}`, { apiKey: otherTenant.key })).status).toBe(404);
    expect((await get(apis[0].url, '/v1/schedules', theirs.headers)).body).toEqual({ schedules: [] });
    expect((await get(apis[0].url, '/v1/schedules/not-a-uuid')).status).toBe(400);
    expect(await client().getSchedule(ours.id)).toMatchObject({ paused: false });
    await client().deleteSchedule(ours.id);
  });

  it('needs admin to change a schedule and jobs:read to read one', async () => {
    const body = { name: 'scoped', cron: '0 4 * * *', type: 'workouts' as const, payload: workoutBody() };
    const schedule = await client().createSchedule(body);
    expect((await post(apis[0].url, '/v1/schedules', body, bearer(reader.key))).status).toBe(403);
    expect((await post(apis[0].url, '/v1/schedules', body, bearer(writer.key))).status).toBe(403);
    expect((await request(apis[0].url, 'PATCH', `/v1/schedules/${schedule.id}`, { json: { paused: true }, apiKey: reader.key })).status).toBe(403);
    expect((await request(apis[0].url, 'DELETE', `/v1/schedules/${schedule.id}`, { apiKey: reader.key })).status).toBe(403);
    expect((await get(apis[0].url, '/v1/schedules', bearer(writer.key))).status).toBe(403);
    expect((await get(apis[0].url, `/v1/schedules/${schedule.id}`, bearer(reader.key))).status).toBe(200);
    await client().deleteSchedule(schedule.id);
  });

  describe("the operators' CLI", () => {
    const baton = (...args: string[]) => runCli(['schedules', ...args], { DATABASE_URL: db.url });

    it('lists schedules, pauses, resumes and deletes one', async () => {
      const schedule = await client().createSchedule({ name: 'from the cli', cron: '0 5 * * *', type: 'workouts', payload: workoutBody() });
      const listed = await baton('list', '--tenant', 'e2e', '--json');
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ id: schedule.id, tenant: 'e2e', name: 'from the cli', cron: '0 5 * * *', paused: false }));
      expect((await baton('list')).stdout).toMatch(new RegExp(`${schedule.id}\\s+e2e\\s+from the cli\\s+0 5 \\* \\* \\*\\s+UTC\\s+workouts\\s+${schedule.nextRunAt}`));

      expect((await baton('pause', schedule.id)).code).toBe(0);
      expect(await client().getSchedule(schedule.id)).toMatchObject({ paused: true, nextRunAt: null });
      const resumed = await baton('resume', schedule.id);
      expect(resumed).toMatchObject({ code: 0, stdout: expect.stringContaining(`next run ${schedule.nextRunAt}`) });
      expect(await client().getSchedule(schedule.id)).toMatchObject({ paused: false, nextRunAt: schedule.nextRunAt });
      expect((await baton('delete', schedule.id)).code).toBe(0);
      expect((await get(apis[0].url, `/v1/schedules/${schedule.id}`)).status).toBe(404);
    });

    it('exits 1 for an unknown schedule or a bad id, 2 for a bad command line', async () => {
      expect((await baton('pause', randomUUID())).code).toBe(1);
      expect((await baton('delete', 'not-an-id')).code).toBe(1);
      expect((await baton('resume')).code).toBe(2);
      expect((await baton('frobnicate')).code).toBe(2);
    });
  });
});
