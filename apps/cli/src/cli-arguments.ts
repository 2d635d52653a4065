import { parseArgs } from 'node:util';
import { isJobType, JOB_TYPES, JobType } from '@baton/contracts';
import { UsageError } from './cli-error';

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Parses a command's flags strictly: an unknown flag or a missing value is a usage error. */
export function parseCommand<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A job type as operators write it, plural or singular: `invoices` or `invoice`. */
export function jobTypeArgument(value: string, what = 'type'): JobType {
  const type = value.endsWith('s') ? value : `${value}s`;
  if (!isJobType(type)) throw new UsageError(`${what} must be one of ${JOB_TYPES.join(', ')} (got ${value})`);
  return type;
}

/** A positive integer flag. */
export function countArgument(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}`);
  return Number(value);
}

const DURATION_UNITS_SEC: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** A duration flag as operators write it, `7d`, `12h`, `30m` or `90s`, in seconds. */
export function durationArgument(value: string, name: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value);
  if (!match || Number(match[1]) === 0) throw new UsageError(`--${name} must be a duration such as 7d, 12h, 30m or 90s (got ${value})`);
  return Number(match[1]) * DURATION_UNITS_SEC[match[2]];
}
