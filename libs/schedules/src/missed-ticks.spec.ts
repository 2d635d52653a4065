import { CronSchedule } from './cron-schedule';
import { planTicks } from './missed-ticks';

const EVERY_2S = CronSchedule.of('*/2 * * * * *', 'UTC');
const HOURLY = CronSchedule.of('0 * * * *', 'UTC');
const at = (iso: string) => new Date(iso);
const seconds = (from: string, count: number, step = 2) => Array.from({ length: count }, (_, i) => new Date(at(from).getTime() + i * step * 1000));

describe(planTicks.name, () => {
  it.each([
    ['not due yet: nothing', EVERY_2S, '2026-03-28T12:00:10.000Z', '2026-03-28T12:00:09.500Z', [], 0, '2026-03-28T12:00:10.000Z'],
    ['due exactly now: that tick', EVERY_2S, '2026-03-28T12:00:10.000Z', '2026-03-28T12:00:10.000Z', ['2026-03-28T12:00:10.000Z'], 0, '2026-03-28T12:00:12.000Z'],
    ['a pass 250 ms late: the one tick', EVERY_2S, '2026-03-28T12:00:10.000Z', '2026-03-28T12:00:10.250Z', ['2026-03-28T12:00:10.000Z'], 0, '2026-03-28T12:00:12.000Z'],
    ['late by less than the grace: every tick', EVERY_2S, '2026-03-28T12:00:10.000Z', '2026-03-28T12:00:15.000Z', seconds('2026-03-28T12:00:10.000Z', 3).map((d) => d.toISOString()), 0, '2026-03-28T12:00:16.000Z'],
    [
      'late by more than the grace: the ticks within it, and the latest older one',
      EVERY_2S,
      '2026-03-28T12:00:00.000Z',
      '2026-03-28T12:05:00.000Z',
      ['2026-03-28T12:03:58.000Z', ...seconds('2026-03-28T12:04:00.000Z', 31).map((d) => d.toISOString())],
      119, // 12:00:00 to 12:03:56
      '2026-03-28T12:05:02.000Z',
    ],
    ['an hourly schedule down for a day: its latest tick once', HOURLY, '2026-03-27T13:00:00.000Z', '2026-03-28T12:30:00.000Z', ['2026-03-28T12:00:00.000Z'], 23, '2026-03-28T13:00:00.000Z'],
    ['an hourly schedule whose only missed tick is older than the grace: it runs', HOURLY, '2026-03-28T12:00:00.000Z', '2026-03-28T12:10:00.000Z', ['2026-03-28T12:00:00.000Z'], 0, '2026-03-28T13:00:00.000Z'],
  ])('%s', (_what, schedule, nextRunAt, now, ticks, skipped, next) => {
    const plan = planTicks(schedule, at(nextRunAt), at(now));
    expect(plan.ticks.map((tick) => tick.toISOString())).toEqual(ticks);
    expect(plan.skipped).toBe(skipped);
    expect(plan.nextRunAt).toEqual(at(next));
  });

  it('counts at most 1,000 skipped ticks, however long the outage', () => {
    const plan = planTicks(EVERY_2S, at('2026-02-28T12:00:00.000Z'), at('2026-03-28T12:00:00.000Z'));
    expect(plan.skipped).toBe(1000);
    expect(plan.ticks).toHaveLength(32);
  });
});
