/**
 * Schedules on the real database: ScheduleRepository and the API's
 * ScheduleTicker, with a clock the tests set (every pass is given its
 * `now`), and the in-process broker receiving what a pass publishes.
 * One job per tick, also with two tickers racing on one database and with
 * a schedule's next tick set back; the missed-tick policy; pause, resume
 * and delete.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { JobRelay, ScheduleTicker } from '@baton/api';
import { BatonConfig, loadConfig } from '@baton/config';
import { JobStatus, JobType } from '@baton/contracts';
import { BATON_SCHEMA } from '@baton/jobs';
import { InProcessBroker, JobMessage, Topology } from '@baton/messaging';
import { Metrics } from '@baton/observability';
import { createDataSource, EventOutboxRepository, JobIntakeRepository, JobOperationsRepository, MAX_SCHEDULES_PER_TENANT, NewSchedule, ScheduleRepository } from '@baton/persistence';
import { rescheduledRunAt } from '@baton/schedules';
import { workoutBody } from '../support/fixtures';
import { openTestDataSource, TestDatabase } from '../support/services';

const T0 = new Date('2031-01-06T09:00:00.000Z');
const after = (ms: number) => new Date(T0.getTime() + ms);

/** A ticker on `ds`, as an API replica runs it, publishing to an in-process broker whose messages it collects. */
function tickerOn(ds: DataSource, config: BatonConfig) {
  const broker = new InProcessBroker(config, new Topology(config));
  const published: JobMessage[] = [];
  broker.consume(JobType.Workout, 10_000, (message) => {
    published.push({ jobId: message.jobId, type: JobType.Workout, attempt: message.attempt, correlationId: message.correlationId, payload: JSON.parse(message.body.toString()) });
    broker.ack(message);
  });
  const metrics = new Metrics();
  const relay = new JobRelay(broker, new JobIntakeRepository(ds), new EventOutboxRepository(ds), config, metrics);
  return { ticker: new ScheduleTicker(new ScheduleRepository(ds), relay, config, metrics), published, metrics };
}

describe('schedules (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let schedules: ScheduleRepository;
  let config: BatonConfig;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_schedules'));
    schedules = new ScheduleRepository(ds);
    config = loadConfig({});
  });

  afterEach(async () => {
    await ds.query(`DELETE FROM schedules`);
  });

  afterAll(async () => {
    await close?.();
  });

  const newSchedule = (overrides: Partial<NewSchedule> = {}): NewSchedule => ({
    tenant: 'acme',
    name: 'every two seconds',
    cron: '*/2 * * * * *',
    timezone: 'UTC',
    type: JobType.Workout,
    payload: workoutBody(),
    nextRunAt: T0,
    ...overrides,
  });

  async function create(overrides: Partial<NewSchedule> = {}) {
    const schedule = await schedules.create(newSchedule(overrides));
    if (!schedule) throw new Error('schedule not created');
    return schedule;
  }

  /** The ticks a schedule created jobs for, oldest first, as ISO strings. */
  async function ticksOf(scheduleId: string): Promise<string[]> {
    const found: Array<{ scheduled_for: Date }> = await ds.query(`SELECT scheduled_for FROM jobs WHERE schedule_id = $1 ORDER BY scheduled_for`, [scheduleId]);
    return found.map((row) => row.scheduled_for.toISOString());
  }

  it('creates one queued job per tick, with the schedule id, the tick, its tenant and payload, and publishes it', async () => {
    const schedule = await create();
    const { ticker, published, metrics } = tickerOn(ds, config);

    expect(await ticker.createDueJobs(after(-1))).toEqual([]);
    const [job] = await ticker.createDueJobs(after(250));
    expect(job).toMatchObject({ type: JobType.Workout, tenant: 'acme', scheduleId: schedule.id, scheduledFor: T0, correlationId: `schedule:${schedule.id}:${T0.toISOString()}` });
    // The same moment again: the tick has its job.
    expect(await ticker.createDueJobs(after(250))).toEqual([]);

    const [row] = await ds.query(`SELECT * FROM jobs WHERE id = $1`, [job.id]);
    expect(row).toMatchObject({ status: JobStatus.Queued, tenant: 'acme', schedule_id: schedule.id, scheduled_for: T0, run_at: T0, payload: workoutBody(), api_key_id: null, max_attempts: config.JOB_MAX_ATTEMPTS });
    expect((await schedules.find(schedule.id))!.nextRunAt).toEqual(after(2000));
    await expect(new JobOperationsRepository(ds).list({ tenant: 'acme', scheduleId: schedule.id }, 10)).resolves.toMatchObject({ jobs: [{ id: job.id, scheduleId: schedule.id }] });

    expect(published).toEqual([{ jobId: job.id, type: JobType.Workout, attempt: 1, correlationId: job.correlationId, payload: workoutBody() }]);
    const counted = (await metrics.registry.getSingleMetric('baton_schedule_ticks_total')!.get()).values;
    expect(counted).toContainEqual(expect.objectContaining({ labels: { type: 'workouts', outcome: 'created' }, value: 1 }));

    for (let second = 2; second <= 10; second += 2) await ticker.createDueJobs(after(second * 1000 + 100));
    expect(await ticksOf(schedule.id)).toEqual([0, 2, 4, 6, 8, 10].map((second) => after(second * 1000).toISOString()));
  });

  it('never creates a tick twice, even when a schedule is set back to a tick that has its job', async () => {
    const schedule = await create();
    const { ticker } = tickerOn(ds, config);
    expect(await ticker.createDueJobs(after(4100))).toHaveLength(3);
    await ds.query(`UPDATE schedules SET next_run_at = $2 WHERE id = $1`, [schedule.id, T0]);

    expect(await ticker.createDueJobs(after(4100))).toEqual([]);
    expect(await ticksOf(schedule.id)).toEqual([0, 2000, 4000].map((ms) => after(ms).toISOString()));
    expect((await schedules.find(schedule.id))!.nextRunAt).toEqual(after(6000));
  });

  it('shares the due schedules between two tickers racing on one database, never creating a tick twice', async () => {
    const many = await Promise.all(Array.from({ length: 30 }, (_, index) => create({ name: `racing ${index}` })));
    const other = await createDataSource({ url: db.url, poolSize: 5, applicationName: 'baton-schedules-second', schema: BATON_SCHEMA }).initialize();
    try {
      const [a, b] = [tickerOn(ds, config), tickerOn(other, config)];
      const created: string[] = [];
      for (let second = 0; second <= 8; second += 2) {
        const passes = await Promise.all([a.ticker.createDueJobs(after(second * 1000 + 100)), b.ticker.createDueJobs(after(second * 1000 + 100))]);
        created.push(...passes.flat().map((job) => job.id));
      }
      expect(created).toHaveLength(30 * 5);
      expect(new Set(created).size).toBe(created.length);
      expect(new Set([...a.published, ...b.published].map((message) => message.jobId))).toEqual(new Set(created));
      for (const schedule of many) expect(await ticksOf(schedule.id)).toEqual([0, 2, 4, 6, 8].map((s) => after(s * 1000).toISOString()));
    } finally {
      await other.destroy();
    }
  });

  it('runs every tick late by less than a minute, and of older missed ticks only the latest', async () => {
    const everyTwo = await create();
    const hourly = await create({ cron: '0 * * * *', nextRunAt: after(-24 * 3600_000) });
    const { ticker, metrics } = tickerOn(ds, config);

    // The API was away for five minutes.
    await ticker.createDueJobs(after(300_000));

    const withinGrace = Array.from({ length: 31 }, (_, index) => after(240_000 + index * 2000).toISOString());
    expect(await ticksOf(everyTwo.id)).toEqual([after(238_000).toISOString(), ...withinGrace]);
    expect(await ticksOf(hourly.id)).toEqual([T0.toISOString()]);
    expect((await schedules.find(everyTwo.id))!.nextRunAt).toEqual(after(302_000));
    expect((await schedules.find(hourly.id))!.nextRunAt).toEqual(after(3600_000));
    const counted = (await metrics.registry.getSingleMetric('baton_schedule_ticks_total')!.get()).values;
    // 0 s to 236 s every 2 s; and the hourly schedule's 24 ticks from T0 - 24 h to T0 - 1 h.
    expect(counted).toContainEqual(expect.objectContaining({ labels: { type: 'workouts', outcome: 'skipped' }, value: 119 + 24 }));
    expect(counted).toContainEqual(expect.objectContaining({ labels: { type: 'workouts', outcome: 'created' }, value: 33 }));
  });

  it('creates nothing for a paused schedule; resuming counts from then on, so ticks missed while paused never run', async () => {
    const schedule = await create();
    const { ticker } = tickerOn(ds, config);
    await ticker.createDueJobs(after(100));
    const pause = { paused: true };
    await schedules.update(schedule.id, 'acme', (current) => ({ ...pause, nextRunAt: rescheduledRunAt(current, pause, after(1000)) }));

    expect(await ticker.createDueJobs(after(10_100))).toEqual([]);

    const resume = { paused: false };
    const resumed = await schedules.update(schedule.id, 'acme', (current) => ({ ...resume, nextRunAt: rescheduledRunAt(current, resume, after(11_000)) }));
    expect(resumed).toMatchObject({ paused: false, nextRunAt: after(12_000) });
    await ticker.createDueJobs(after(12_100));
    expect(await ticksOf(schedule.id)).toEqual([T0.toISOString(), after(12_000).toISOString()]);
  });

  it('stops a deleted schedule; its jobs stay, listed by its id', async () => {
    const schedule = await create();
    const { ticker } = tickerOn(ds, config);
    await ticker.createDueJobs(after(100));
    expect(await schedules.delete(schedule.id, 'other-tenant')).toBe(false);
    expect(await schedules.delete(schedule.id, 'acme')).toBe(true);
    expect(await schedules.find(schedule.id)).toBeNull();

    expect(await ticker.createDueJobs(after(10_100))).toEqual([]);
    expect(await ticksOf(schedule.id)).toEqual([T0.toISOString()]);
    expect(await schedules.delete(schedule.id, 'acme')).toBe(false);
  });

  it('keeps each tenant to its own schedules, and to at most MAX_SCHEDULES_PER_TENANT', async () => {
    const ours = await create({ tenant: 'capped' });
    expect(await schedules.find(ours.id, 'someone-else')).toBeNull();
    expect(await schedules.update(ours.id, 'someone-else', () => ({ paused: true }))).toBeNull();
    for (let index = 1; index < MAX_SCHEDULES_PER_TENANT; index++) await create({ tenant: 'capped' });
    expect(await schedules.create(newSchedule({ tenant: 'capped' }))).toBeNull();
    expect(await schedules.create(newSchedule({ tenant: 'not-capped' }))).not.toBeNull();
    expect(await schedules.list('capped')).toHaveLength(MAX_SCHEDULES_PER_TENANT);
  });

  it('pauses a schedule whose stored expression no longer parses, without stopping the others', async () => {
    const broken = await create({ cron: 'not a cron' });
    const fine = await create();
    const { ticker } = tickerOn(ds, config);
    await ticker.createDueJobs(after(100));
    expect(await schedules.find(broken.id)).toMatchObject({ paused: true });
    expect(await ticksOf(fine.id)).toEqual([T0.toISOString()]);
  });
});
