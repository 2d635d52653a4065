import { IsISO4217CurrencyCode, Matches } from 'class-validator';

/**
 * An ISO 4217 currency code, in its canonical upper-case form only: the
 * validator upper-cases before it looks a code up, and codes are stored and
 * printed as sent.
 */
export function CurrencyCode(): PropertyDecorator {
  const upperCase = Matches(/^[A-Z]{3}$/, { message: '$property must be an upper-case ISO 4217 currency code such as EUR or USD' });
  const known = IsISO4217CurrencyCode({ message: '$property must be an ISO 4217 currency code such as EUR or USD' });
  return (target, property) => {
    upperCase(target, property);
    known(target, property);
  };
}
