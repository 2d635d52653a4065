import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';

/** A string's length as PostgreSQL counts it for a varchar(n): code points. */
export const characterCount = (value: string): number => {
  let count = 0;
  for (const _ of value) count++;
  return count;
};

/**
 * A string of `min` to `max` characters, counted as the column that stores it
 * counts them (code points). class-validator's Length and MaxLength leave out
 * variation selectors (U+FE0E, U+FE0F, as in "❤️"), so a string they accept
 * at its limit could be too long for its varchar column, and its job would
 * then fail every attempt instead of being refused at the door.
 */
export function Characters(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'characters',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && characterCount(value) >= min && characterCount(value) <= max,
        defaultMessage: buildMessage((eachPrefix, args) => {
          const value: unknown = args?.value;
          if (typeof value === 'string' && characterCount(value) < min) return `${eachPrefix}$property must be longer than or equal to $constraint1 characters`;
          if (typeof value === 'string' && characterCount(value) > max) return `${eachPrefix}$property must be shorter than or equal to $constraint2 characters`;
          return `${eachPrefix}$property must be a string of $constraint1 to $constraint2 characters`;
        }, options),
      },
    },
    options,
  );
}

/** An idempotency key, as the `Idempotency-Key` header or `options.idempotencyKey`: printable ASCII, single spaces inside. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+(?: +[\x21-\x7e]+)*$/;
