/** The prefix of a tenant's invoice numbers when its profile sets none. */
export const DEFAULT_INVOICE_NUMBER_PREFIX = 'INV-';

/**
 * A prefix starts an invoice number, which names the PDF download
 * (`Content-Disposition: attachment; filename="INV-2026-000042.pdf"`): so
 * only characters that need no quoting in a header or a file name.
 */
export const INVOICE_NUMBER_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/;

/** Digits of the sequence, zero-padded; a tenant past 999,999 invoices in a year gets longer numbers, never reused ones. */
const SEQUENCE_DIGITS = 6;

/** `INV-` + 2026 + 42 -> `INV-2026-000042`. */
export function formatInvoiceNumber(prefix: string, year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 1 || year > 9999) throw new RangeError(`invoice year ${year} is not a year of four digits`);
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError(`invoice sequence ${sequence} is not a positive integer`);
  return `${prefix}${String(year).padStart(4, '0')}-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
}

/** The year an invoice is numbered in: the year of its issue date (`2026-11-20` -> 2026). */
export function invoiceYear(issuedAt: string): number {
  const match = /^(\d{4})-\d{2}-\d{2}$/.exec(issuedAt);
  if (!match) throw new RangeError(`issue date ${JSON.stringify(issuedAt)} is not an ISO date`);
  return Number(match[1]);
}
