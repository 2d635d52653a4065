/** Minor-unit digits of a currency (2 for EUR, 0 for JPY, 3 for BHD), as ICU knows them. */
export function minorUnitDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Formats an amount in minor units exactly (no floating point): 123456n EUR -> "EUR 1,234.56". */
export function formatMoney(minorUnits: bigint | number, currency: string): string {
  const amount = BigInt(minorUnits);
  const digits = minorUnitDigits(currency);
  const scale = 10n ** BigInt(digits);
  const magnitude = amount < 0n ? -amount : amount;
  const whole = (magnitude / scale).toLocaleString('en-US');
  const fraction = digits > 0 ? `.${(magnitude % scale).toString().padStart(digits, '0')}` : '';
  return `${amount < 0n ? '-' : ''}${currency} ${whole}${fraction}`;
}
