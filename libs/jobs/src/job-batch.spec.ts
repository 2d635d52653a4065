import 'reflect-metadata';
import { workoutBody } from '../../../test/support/fixtures';
import { JobType } from '@baton/contracts';
import { MAX_BATCH_ITEMS, validateBatch } from './job-batch';

const workouts = (count: number) => Array.from({ length: count }, () => workoutBody());

describe(validateBatch.name, () => {
  it.each<[string, unknown, string[]]>([
    ['null', null, ['(body)']],
    ['an array of bodies', workouts(2), ['(body)']],
    ['a number', 50, ['(body)']],
    ['no items', {}, ['items']],
    ['items: null', { items: null }, ['items']],
    ['items as an object', { items: { 0: workoutBody() } }, ['items']],
    ['an empty items', { items: [] }, ['items']],
    ['a field beside items', { items: workouts(1), options: {} }, ['options']],
    ['no items and a field beside', { item: workouts(1) }, ['items', 'item']],
    ['a member of every object as a field', { items: workouts(1), toString: 1 }, ['toString']],
  ])('refuses the envelope of %s, naming the field', async (_, body, fields) => {
    const check = await validateBatch(JobType.Workout, body);
    expect(check.kind === 'invalid' ? check.errors.map((error) => error.field) : check).toEqual(fields);
  });

  it(`refuses more than ${MAX_BATCH_ITEMS} items whole, before reading any`, async () => {
    await expect(validateBatch(JobType.Workout, { items: [...workouts(MAX_BATCH_ITEMS), 'not even a body'] })).resolves.toEqual({ kind: 'too-many', count: MAX_BATCH_ITEMS + 1 });
  });

  it(`takes ${MAX_BATCH_ITEMS} items`, async () => {
    const check = await validateBatch(JobType.Workout, { items: workouts(MAX_BATCH_ITEMS) });
    expect(check.kind === 'items' && check.items.every((item) => item.valid)).toBe(true);
  });

  it('checks each item apart, in order, with field paths relative to the item and its options beside its payload', async () => {
    const check = await validateBatch(JobType.Workout, {
      items: [
        workoutBody({ options: { delaySec: 60, idempotencyKey: 'k-1' } }),
        workoutBody({ sets: [{ exercise: 'squat', reps: 0 }] }),
        'a string',
        workoutBody({ options: { runAt: 'tomorrow' } }),
      ],
    });
    if (check.kind !== 'items') throw new Error(`expected items, got ${JSON.stringify(check)}`);
    expect(check.items.map((item) => (item.valid ? { options: { ...item.options } } : item.errors.map((error) => error.field)))).toEqual([
      { options: expect.objectContaining({ delaySec: 60, idempotencyKey: 'k-1' }) },
      ['sets.0.reps'],
      ['(body)'],
      ['options.runAt'],
    ]);
  });
});
