import { DEFAULT_INVOICE_NUMBER_PREFIX, formatInvoiceNumber, INVOICE_NUMBER_PREFIX_PATTERN, invoiceYear } from './invoice-number';

describe(formatInvoiceNumber.name, () => {
  it.each<[string, number, number, string]>([
    ['INV-', 2026, 42, 'INV-2026-000042'],
    ['INV-', 2026, 1, 'INV-2026-000001'],
    ['INV-', 2027, 999_999, 'INV-2027-999999'],
    // Past six digits the number grows rather than wraps or repeats.
    ['INV-', 2027, 1_000_000, 'INV-2027-1000000'],
    ['ACME.', 2026, 7, 'ACME.2026-000007'],
    ['a_b-', 1999, 123_456, 'a_b-1999-123456'],
    ['X', 2026, 3, 'X2026-000003'],
  ])('%j, %i, %i -> %j', (prefix, year, sequence, number) => {
    expect(formatInvoiceNumber(prefix, year, sequence)).toBe(number);
  });

  it.each<[number, number]>([
    [2026, 0],
    [2026, -1],
    [2026, 1.5],
    [2026, Number.NaN],
    [0, 1],
    [10_000, 1],
    [2026.5, 1],
  ])('refuses year %p with sequence %p', (year, sequence) => {
    expect(() => formatInvoiceNumber('INV-', year, sequence)).toThrow(RangeError);
  });
});

describe(invoiceYear.name, () => {
  it.each([
    ['2026-11-20', 2026],
    ['2027-01-01', 2027],
    ['1999-12-31', 1999],
  ])('%s is numbered in %i', (issuedAt, year) => {
    expect(invoiceYear(issuedAt)).toBe(year);
  });

  it.each(['2026-11-20T10:00:00Z', '26-11-20', '', 'November 2026'])('refuses %j', (issuedAt) => {
    expect(() => invoiceYear(issuedAt)).toThrow(RangeError);
  });
});

describe('INVOICE_NUMBER_PREFIX_PATTERN', () => {
  it.each([DEFAULT_INVOICE_NUMBER_PREFIX, 'A', '7', 'ACME-', 'acme.inv_', 'x'.repeat(16), 'INV-2026-'])('takes %j', (prefix) => {
    expect(INVOICE_NUMBER_PREFIX_PATTERN.test(prefix)).toBe(true);
  });

  it.each(['', '-INV', '.INV', '_INV', 'x'.repeat(17), 'INV/', 'INV "', 'IN V', 'Fäktura-', 'INV\n', '../x'])('refuses %j', (prefix) => {
    expect(INVOICE_NUMBER_PREFIX_PATTERN.test(prefix)).toBe(false);
  });
});
