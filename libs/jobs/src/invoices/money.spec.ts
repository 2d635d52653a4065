import { formatMoney, minorUnitDigits } from './money';

describe(formatMoney.name, () => {
  it.each<[bigint | number, string, string]>([
    [123_456n, 'EUR', 'EUR 1,234.56'],
    [123_456, 'EUR', 'EUR 1,234.56'],
    [5n, 'EUR', 'EUR 0.05'],
    [50n, 'EUR', 'EUR 0.50'],
    [0n, 'EUR', 'EUR 0.00'],
    [100_000_000n, 'USD', 'USD 1,000,000.00'],
  ])('formats %p %s as %j (2 digits)', (amount, currency, expected) => {
    expect(formatMoney(amount, currency)).toBe(expected);
  });

  it.each<[bigint | number, string]>([
    [1234n, 'JPY 1,234'],
    [0n, 'JPY 0'],
    [7n, 'JPY 7'],
    [1_000_000n, 'JPY 1,000,000'],
  ])('formats %p JPY without a fraction: %j', (amount, expected) => {
    expect(formatMoney(amount, 'JPY')).toBe(expected);
  });

  it.each<[bigint | number, string]>([
    [1234n, 'BHD 1.234'],
    [5n, 'BHD 0.005'],
    [1_000_050n, 'BHD 1,000.050'],
  ])('formats %p BHD with three digits: %j', (amount, expected) => {
    expect(formatMoney(amount, 'BHD')).toBe(expected);
  });

  it.each<[bigint | number, string, string]>([
    [-123_456n, 'EUR', '-EUR 1,234.56'],
    [-5n, 'EUR', '-EUR 0.05'],
    [-1234, 'JPY', '-JPY 1,234'],
    [-1n, 'BHD', '-BHD 0.001'],
  ])('puts the sign of a negative amount in front: %p %s -> %j', (amount, currency, expected) => {
    expect(formatMoney(amount, currency)).toBe(expected);
  });

  it('formats amounts beyond Number.MAX_SAFE_INTEGER exactly, with grouping', () => {
    expect(formatMoney(12_345_678_901_234_567_891n, 'EUR')).toBe('EUR 123,456,789,012,345,678.91');
    expect(formatMoney(21_774_782_228_225_218n, 'USD')).toBe('USD 217,747,822,282,252.18');
    expect(formatMoney(9_007_199_254_740_993n, 'JPY')).toBe('JPY 9,007,199,254,740,993');
    expect(formatMoney(-9_007_199_254_740_993n, 'BHD')).toBe('-BHD 9,007,199,254,740.993');
  });
});

describe(minorUnitDigits.name, () => {
  it.each([
    ['EUR', 2],
    ['USD', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['BHD', 3],
    ['KWD', 3],
  ])('%s has %i minor-unit digits', (currency, digits) => {
    expect(minorUnitDigits(currency)).toBe(digits);
  });

  it('falls back to 2 for a code Intl rejects', () => {
    expect(minorUnitDigits('not a currency')).toBe(2);
  });
});
