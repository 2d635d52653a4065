import { ValueTransformer } from 'typeorm';

/**
 * pg returns BIGINT as a string. Cent amounts are validated at the API to
 * stay within Number.MAX_SAFE_INTEGER, so they read back as exact numbers.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null ? null : Number(value)),
};
