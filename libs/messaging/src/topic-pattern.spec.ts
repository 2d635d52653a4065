import { topicMatches } from './topic-pattern';

describe(topicMatches.name, () => {
  it.each([
    ['#', 'workout.saved', true],
    ['#', 'job.completed', true],
    ['workout.*', 'workout.saved', true],
    ['workout.*', 'job.completed', false],
    ['*.saved', 'workout.saved', true],
    ['*', 'workout.saved', false],
    ['job.#', 'job.completed', true],
    ['job.#', 'job', true],
    ['#.completed', 'job.completed', true],
    ['workout.saved', 'workout.saved', true],
    ['workout.saved', 'workout.saved.v2', false],
    ['workout.*.*', 'workout.saved', false],
    ['#.#', 'a.b.c', true],
  ])('%s takes %s: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});
