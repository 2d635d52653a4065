export interface PricedLine {
  quantity: number;
  unitPriceCents: number;
}

export interface InvoiceTotals {
  lineTotalsCents: bigint[];
  subtotalCents: bigint;
  taxCents: bigint;
  totalCents: bigint;
}

// Tax rates carry at most four decimals (8.875 %), so a rate is an exact
// integer count of 1/10,000 of a percent and the arithmetic stays in integers.
const RATE_SCALE = 10_000n;
const PERCENT = 100n;

/** Line totals, subtotal, tax (rounded half up to the cent) and total, in integer cents. */
export function computeInvoiceTotals(lines: readonly PricedLine[], taxRatePercent = 0): InvoiceTotals {
  const lineTotalsCents = lines.map((line) => BigInt(line.quantity) * BigInt(line.unitPriceCents));
  const subtotalCents = lineTotalsCents.reduce((sum, total) => sum + total, 0n);
  const rate = BigInt(Math.round(taxRatePercent * Number(RATE_SCALE)));
  const divisor = RATE_SCALE * PERCENT;
  const taxCents = (subtotalCents * rate + divisor / 2n) / divisor;
  return { lineTotalsCents, subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}
