import { backoffDelay } from './backoff';

const fixed = (value: number) => () => value;

describe(backoffDelay.name, () => {
  it('waits at least half the ceiling (random = 0)', () => {
    expect(backoffDelay(0, 250, 10_000, fixed(0))).toBe(125);
    expect(backoffDelay(3, 250, 10_000, fixed(0))).toBe(1000); // ceiling 2000
  });

  it('waits at most the ceiling (random close to 1)', () => {
    expect(backoffDelay(0, 250, 10_000, fixed(0.999999))).toBe(250);
    expect(backoffDelay(3, 250, 10_000, fixed(0.999999))).toBe(2000);
  });

  it('spreads linearly between half the ceiling and the ceiling', () => {
    expect(backoffDelay(2, 250, 10_000, fixed(0.5))).toBe(750); // ceiling 1000: 500 + 250
    expect(backoffDelay(2, 250, 10_000, fixed(0.25))).toBe(625);
  });

  it('doubles the ceiling with each attempt', () => {
    const ceilings = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 100, 1_000_000, fixed(0)) * 2);
    expect(ceilings).toEqual([100, 200, 400, 800, 1600]);
  });

  it('caps the ceiling', () => {
    expect(backoffDelay(10, 250, 10_000, fixed(0))).toBe(5000);
    expect(backoffDelay(10, 250, 10_000, fixed(0.999999))).toBe(10_000);
  });

  it('stays finite and capped for huge attempt numbers', () => {
    for (const attempt of [31, 100, 1024, Number.MAX_SAFE_INTEGER]) {
      const delay = backoffDelay(attempt, 250, 10_000, fixed(0.999999));
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBe(10_000);
    }
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(0, 3, 10_000, fixed(0.3)))).toBe(true);
    expect(backoffDelay(0, 3, 10_000, fixed(0))).toBe(2); // 1.5 rounds to 2
  });

  it('stays within [ceiling / 2, ceiling] for any random value', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const ceiling = Math.min(30_000, 200 * 2 ** attempt);
      for (const random of [0, 0.1, 0.33, 0.5, 0.77, 0.999999]) {
        const delay = backoffDelay(attempt, 200, 30_000, fixed(random));
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('uses Math.random by default', () => {
    const spy = jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      expect(backoffDelay(1, 1000, 60_000)).toBe(1000);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
