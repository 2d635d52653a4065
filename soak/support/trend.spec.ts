import { allowedGrowth, pooledSlope } from './trend';

const line = (from: number, to: number, slope: number, intercept: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => ({ t: from + index, value: intercept + slope * (from + index) }));

describe('pooledSlope', () => {
  it.each([
    ['a flat series', [line(0, 10, 0, 5)], 0],
    ['one rising lifetime', [line(0, 10, 2, 1)], 2],
    ['two lifetimes rising alike, the second starting low again', [line(0, 10, 2, 100), line(11, 20, 2, -50)], 2],
    ['two flat lifetimes at different levels (a restart, no leak)', [line(0, 10, 0, 100), line(11, 20, 0, 20)], 0],
    ['a single point beside a rising lifetime', [[{ t: 3, value: 1000 }], line(0, 10, 1, 0)], 1],
  ])('%s', (_, lifetimes, slope) => {
    expect(pooledSlope(lifetimes)).toBeCloseTo(slope, 9);
  });

  it('is undefined without two points apart in time', () => {
    expect(pooledSlope([])).toBeUndefined();
    expect(pooledSlope([[{ t: 1, value: 1 }], [{ t: 2, value: 5 }]])).toBeUndefined();
    expect(pooledSlope([[{ t: 1, value: 1 }, { t: 1, value: 5 }]])).toBeUndefined();
  });
});

describe('allowedGrowth', () => {
  it('is the floor plus the hourly rate over the window', () => {
    expect(allowedGrowth({ floor: 10, perHour: 60 }, 0)).toBe(10);
    expect(allowedGrowth({ floor: 10, perHour: 60 }, 1800)).toBe(40);
  });
});
