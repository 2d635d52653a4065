import { rescheduledRunAt } from './schedule-change';

const NOW = new Date('2026-03-28T12:00:00.500Z');
const running = { cron: '*/2 * * * * *', timezone: 'UTC', paused: false };

describe(rescheduledRunAt.name, () => {
  it.each([
    ['nothing that times it changed: keep', running, running, null],
    ['paused: keep (recomputed at resume)', running, { ...running, paused: true }, null],
    ['changed while paused: keep', { ...running, paused: true }, { ...running, cron: '0 * * * *', paused: true }, null],
    ['resumed: from now', { ...running, paused: true }, running, '2026-03-28T12:00:02.000Z'],
    ['a new cron: from now', running, { ...running, cron: '0 * * * *' }, '2026-03-28T13:00:00.000Z'],
    ['a new time zone: from now', { ...running, cron: '0 9 * * *' }, { ...running, cron: '0 9 * * *', timezone: 'Europe/Paris' }, '2026-03-29T07:00:00.000Z'],
  ])('%s', (_what, before, after, expected) => {
    expect(rescheduledRunAt(before, after, NOW)).toEqual(expected === null ? null : new Date(expected));
  });
});
