import { ReplayCatchUp, walPosition } from './replay-position';

describe(ReplayCatchUp.name, () => {
  describe(walPosition.name, () => {
    it.each([
      ['0/0', 0n],
      ['0/16B3748', 0x16b3748n],
      ['16/B374D848', (0x16n << 32n) + 0xb374d848n],
      ['FFFFFFFF/FFFFFFFF', (1n << 64n) - 1n],
    ])('reads %s', (text, position) => {
      expect(walPosition(text)).toBe(position);
    });

    it.each(['', '0', '0/', 'x/1', '0/123456789'])('refuses %j', (text) => {
      expect(() => walPosition(text)).toThrow('not a WAL position');
    });
  });

  // Each case: the primary's samples [at, position], then what the replica replayed, and the staleness at `now`.
  it.each<[string, Array<[number, bigint]>, bigint[], number, number]>([
    ['nothing known before the first sample', [], [100n], 1000, Infinity],
    ['not yet replayed up to the first sample', [[1000, 200n]], [100n], 1500, Infinity],
    ['caught up to the one sample', [[1000, 200n]], [200n], 1500, 500],
    ['past it counts too', [[1000, 200n]], [250n], 1500, 500],
    ['the newest sample reached', [[1000, 100n], [1250, 200n], [1500, 300n]], [250n], 2000, 750],
    ['an idle primary: the same position sampled again is caught up to again', [[1000, 300n], [1250, 300n], [1500, 300n]], [300n], 1600, 100],
    ['a replica that stops replaying grows stale', [[1000, 100n], [1250, 200n], [1500, 300n], [9000, 400n]], [250n, 250n], 10_000, 8750],
    ['it never goes back to an older moment', [[1000, 100n], [1250, 200n]], [200n, 100n], 1300, 50],
  ])('%s', (_case, samples, replays, now, staleness) => {
    const catchUp = new ReplayCatchUp();
    for (const [at, position] of samples) catchUp.primaryAt(at, position);
    for (const position of replays) catchUp.replayed(position);
    expect(catchUp.stalenessMs(now)).toBe(staleness);
  });

  it('takes samples that arrive after a replay', () => {
    const catchUp = new ReplayCatchUp();
    catchUp.primaryAt(1000, 100n);
    catchUp.replayed(100n);
    catchUp.primaryAt(2000, 500n);
    catchUp.replayed(400n);
    expect(catchUp.stalenessMs(2500)).toBe(1500);
    catchUp.replayed(500n);
    expect(catchUp.stalenessMs(2500)).toBe(500);
  });

  it('forgets everything on reset', () => {
    const catchUp = new ReplayCatchUp();
    catchUp.primaryAt(1000, 100n);
    catchUp.replayed(100n);
    catchUp.reset();
    catchUp.replayed(100n);
    expect(catchUp.stalenessMs(1000)).toBe(Infinity);
  });
});
