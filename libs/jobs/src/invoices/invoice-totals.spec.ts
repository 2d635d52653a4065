import { computeInvoiceTotals, PricedLine } from './invoice-totals';

/** Lines whose subtotal is exactly `cents` (one line of `cents` × 1). */
const subtotalOf = (cents: number): PricedLine[] => [{ quantity: 1, unitPriceCents: cents }];

describe(computeInvoiceTotals.name, () => {
  describe('line totals and subtotal', () => {
    it('multiplies quantity by unit price per line, in line order', () => {
      const totals = computeInvoiceTotals([
        { quantity: 1, unitPriceCents: 9900 },
        { quantity: 3, unitPriceCents: 1999 },
        { quantity: 7, unitPriceCents: 0 },
      ]);

      expect(totals.lineTotalsCents).toEqual([9900n, 5997n, 0n]);
      expect(totals.subtotalCents).toBe(15_897n);
    });

    it('returns bigints', () => {
      const totals = computeInvoiceTotals(subtotalOf(1), 10);
      expect(typeof totals.subtotalCents).toBe('bigint');
      expect(typeof totals.taxCents).toBe('bigint');
      expect(typeof totals.totalCents).toBe('bigint');
      expect(typeof totals.lineTotalsCents[0]).toBe('bigint');
    });

    it('gives zero everywhere for no lines', () => {
      expect(computeInvoiceTotals([], 20)).toEqual({ lineTotalsCents: [], subtotalCents: 0n, taxCents: 0n, totalCents: 0n });
    });
  });

  describe('tax', () => {
    it('adds the tax to the subtotal', () => {
      // 20 % of 158.97 = 31.794 -> 31.79
      const totals = computeInvoiceTotals(
        [
          { quantity: 1, unitPriceCents: 9900 },
          { quantity: 3, unitPriceCents: 1999 },
        ],
        20,
      );
      expect(totals.taxCents).toBe(3179n);
      expect(totals.totalCents).toBe(15_897n + 3179n);
    });

    it.each([
      // subtotal, rate, expected tax: 8.875 % (New York City sales tax)
      [1000, 8.875, 89n], // 88.75
      [200, 8.875, 18n], // 17.75
      [400, 8.875, 36n], // 35.5: exactly half, rounds up
      [123, 8.875, 11n], // 10.91625
      [4, 8.875, 0n], // 0.355
      [12_345_678, 8.875, 1_095_679n], // 1,095,678.9225
    ])('%i cents at %d %% is %i cents of tax', (subtotal, rate, tax) => {
      const totals = computeInvoiceTotals(subtotalOf(subtotal), rate);
      expect(totals.taxCents).toBe(tax);
      expect(totals.totalCents).toBe(BigInt(subtotal) + tax);
    });

    it.each([
      // exactly half a cent rounds up; just under half rounds down
      [1, 50, 1n], // 0.5
      [3, 50, 2n], // 1.5
      [5, 10, 1n], // 0.5
      [15, 10, 2n], // 1.5
      [5000, 0.01, 1n], // 0.5
      [4999, 0.01, 0n], // 0.4999
      [500_000, 0.0001, 1n], // 0.5 at the smallest rate
      [499_999, 0.0001, 0n], // 0.499999
      [25, 2, 1n], // 0.5
      [24, 2, 0n], // 0.48
      [75, 2, 2n], // 1.5
    ])('rounds half up at the cent: %i cents at %d %% -> %i', (subtotal, rate, tax) => {
      expect(computeInvoiceTotals(subtotalOf(subtotal), rate).taxCents).toBe(tax);
    });

    it('uses all four decimals of the rate', () => {
      // 1,000,000 cents at 7.1234 % = 71,234 cents; at 7.1235 % = 71,235 cents
      expect(computeInvoiceTotals(subtotalOf(1_000_000), 7.1234).taxCents).toBe(71_234n);
      expect(computeInvoiceTotals(subtotalOf(1_000_000), 7.1235).taxCents).toBe(71_235n);
    });

    it('computes tax on the subtotal, not per line', () => {
      // Two lines of 0.4 cents of tax each: per-line rounding would give 0, the subtotal gives 1.
      const totals = computeInvoiceTotals(
        [
          { quantity: 1, unitPriceCents: 4 },
          { quantity: 1, unitPriceCents: 4 },
        ],
        10,
      );
      expect(totals.taxCents).toBe(1n);
    });

    it('is zero without a rate', () => {
      const totals = computeInvoiceTotals([{ quantity: 2, unitPriceCents: 1234 }]);
      expect(totals.taxCents).toBe(0n);
      expect(totals.totalCents).toBe(2468n);
    });

    it('is zero at a rate of 0 %', () => {
      const totals = computeInvoiceTotals([{ quantity: 2, unitPriceCents: 1234 }], 0);
      expect(totals.taxCents).toBe(0n);
      expect(totals.totalCents).toBe(totals.subtotalCents);
    });

    it('equals the subtotal at 100 %', () => {
      const totals = computeInvoiceTotals([{ quantity: 3, unitPriceCents: 333 }], 100);
      expect(totals.taxCents).toBe(999n);
      expect(totals.totalCents).toBe(1998n);
    });
  });

  describe('large amounts', () => {
    it('stays exact beyond Number.MAX_SAFE_INTEGER', () => {
      // 99,999 × 9,999,999.99 per line, 200 lines.
      const lines = Array.from({ length: 200 }, () => ({ quantity: 99_999, unitPriceCents: 999_999_999 }));
      const totals = computeInvoiceTotals(lines, 8.875);

      expect(totals.lineTotalsCents[0]).toBe(99_998_999_900_001n);
      expect(totals.lineTotalsCents.every((total) => total === 99_998_999_900_001n)).toBe(true);
      expect(totals.subtotalCents).toBe(19_999_799_980_000_200n);
      // 19,999,799,980,000,200 × 8.875 % = 1,774,982,248,225,017.75 -> ...018
      expect(totals.taxCents).toBe(1_774_982_248_225_018n);
      expect(totals.totalCents).toBe(21_774_782_228_225_218n);
      expect(totals.totalCents > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    });

    it('handles the largest single line exactly', () => {
      const totals = computeInvoiceTotals([{ quantity: 100_000, unitPriceCents: 1_000_000_000 }], 100);
      expect(totals.subtotalCents).toBe(100_000_000_000_000n);
      expect(totals.totalCents).toBe(200_000_000_000_000n);
    });
  });
});
