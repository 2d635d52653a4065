import { rescheduledRunAt } from './schedule-change';

const NOW = new Date('2026-03-28T12:00:00.500Z');
const running = { cron: '*/2 * * * * *', timezone: 'UTC', paused: false };

describe(rescheduledRunAt.name, () => {
  it.each([
    ['nothing that times it changed: keep', running, {}, null],
    ['the same values sent again: keep', running, { cron: running.cron, paused: false }, null],
    ['undefined fields left as they are: keep', running, { cron: undefined, timezone: undefined }, null],
    ['paused: keep (recomputed at resume)', running, { paused: true }, null],
    ['changed while paused: keep', { ...running, paused: true }, { cron: '0 * * * *' }, null],
    ['resumed: from now', { ...running, paused: true }, { paused: false }, '2026-03-28T12:00:02.000Z'],
    ['a new cron: from now', running, { cron: '0 * * * *' }, '2026-03-28T13:00:00.000Z'],
    ['a new time zone: from now', { ...running, cron: '0 9 * * *' }, { timezone: 'Europe/Paris' }, '2026-03-29T07:00:00.000Z'],
  ])('%s', (_what, current, change, expected) => {
    expect(rescheduledRunAt(current, change, NOW)).toEqual(expected === null ? null : new Date(expected));
  });
});
