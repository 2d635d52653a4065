import { CronSchedule } from './cron-schedule';

const NOW = new Date('2026-03-28T12:00:00.000Z');
const at = (iso: string) => new Date(iso);

function fieldOf(expression: string, timezone = 'UTC'): string[] {
  const parsed = CronSchedule.parse(expression, timezone, NOW);
  return parsed instanceof CronSchedule ? [] : parsed.errors.map((error) => error.field);
}

describe(CronSchedule.name, () => {
  it.each([
    ['5 fields', '*/5 * * * *'],
    ['6 fields, seconds first', '*/2 * * * * *'],
    ['names', '0 9 * JAN-MAR MON-FRI'],
    ["croner's last day of the month", '0 12 L * *'],
    ["croner's nth weekday", '0 12 * * FRI#2'],
    ['extra spaces', '  0  9 * * *  '],
  ])('accepts %s', (_what, expression) => {
    expect(fieldOf(expression)).toEqual([]);
  });

  it.each([
    ['4 fields', '* * * *'],
    ['7 fields (a year)', '0 0 0 1 1 * 2027'],
    ['a nickname', '@daily'],
    ['croner\'s "?" (the moment of parsing)', '? * * * *'],
    ['an out-of-range minute', '61 * * * *'],
    ['a step of 0', '*/0 * * * *'],
    ['a date that never comes', '0 0 30 2 *'],
    ['garbage', 'every day at noon'],
    ['an empty string', ''],
    ['a very long expression', `${'1,'.repeat(150)}1 * * * *`],
  ])('refuses %s, naming cron', (_what, expression) => {
    expect(fieldOf(expression)).toEqual(['cron']);
  });

  it.each([['Mars/Olympus'], ['+01:00'], [''], ['Europe/Paris; DROP']])('refuses the time zone "%s", naming timezone', (timezone) => {
    expect(fieldOf('* * * * *', timezone)).toEqual(['timezone']);
  });

  it.each([['UTC'], ['Europe/Paris'], ['America/Argentina/Buenos_Aires'], ['Etc/GMT+5']])('accepts the time zone %s', (timezone) => {
    expect(fieldOf('* * * * *', timezone)).toEqual([]);
  });

  it.each([
    ['every 2 s, strictly after a tick', '*/2 * * * * *', 'UTC', '2026-03-28T12:00:04.000Z', '2026-03-28T12:00:06.000Z'],
    ['every 2 s, between ticks', '*/2 * * * * *', 'UTC', '2026-03-28T12:00:03.999Z', '2026-03-28T12:00:04.000Z'],
    ['9:00 in Paris in winter', '0 9 * * *', 'Europe/Paris', '2026-03-27T12:00:00.000Z', '2026-03-28T08:00:00.000Z'],
    ['9:00 in Paris in summer', '0 9 * * *', 'Europe/Paris', '2026-03-29T12:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    // 02:30 does not exist on 29 March 2026 in Paris: a fixed-time tick runs at the first time after the gap (03:00 CEST).
    ['a fixed time in the spring-forward gap', '30 2 * * *', 'Europe/Paris', '2026-03-28T12:00:00.000Z', '2026-03-29T01:00:00.000Z'],
    // 02:30 happens twice on 25 October 2026 in Paris: a fixed-time tick runs once, at the first.
    ['a fixed time repeated at fall-back', '30 2 * * *', 'Europe/Paris', '2026-10-24T12:00:00.000Z', '2026-10-25T00:30:00.000Z'],
  ])('computes the next tick: %s', (_what, expression, timezone, after, next) => {
    expect(CronSchedule.of(expression, timezone).nextAfter(at(after))).toEqual(at(next));
  });

  it('runs a fixed time once on the fall-back day, and an interval on both occurrences of the repeated hour', () => {
    const fixed = CronSchedule.of('30 2 * * *', 'Europe/Paris');
    const second = fixed.nextAfter(at('2026-10-25T00:30:00.000Z'));
    expect(second).toEqual(at('2026-10-26T01:30:00.000Z'));
    const interval = CronSchedule.of('30 * * * *', 'Europe/Paris');
    const ticks = [interval.nextAfter(at('2026-10-25T00:00:00.000Z'))!];
    ticks.push(interval.nextAfter(ticks[0])!);
    expect(ticks).toEqual([at('2026-10-25T00:30:00.000Z'), at('2026-10-25T01:30:00.000Z')]);
  });

  it('finds the latest tick strictly before an instant', () => {
    const everyTwo = CronSchedule.of('*/2 * * * * *', 'UTC');
    expect(everyTwo.latestBefore(at('2026-03-28T12:00:04.000Z'))).toEqual(at('2026-03-28T12:00:02.000Z'));
    expect(everyTwo.latestBefore(at('2026-03-28T12:00:04.001Z'))).toEqual(at('2026-03-28T12:00:04.000Z'));
  });
});
