import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { JOB_TYPES, JobType } from '@baton/contracts';
import { mailFromProblem, smtpUrlProblem } from './mail-settings';
import { allowedHostProblem } from './webhook-settings';

/** One queue's cap: at most `limit` jobs start per `intervalMs`, over all worker replicas. */
export interface QueueRateLimit {
  queue: JobType;
  limit: number;
  intervalMs: number;
}

const INTERVALS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };
const RATE_PATTERN = /^([a-z][a-z0-9-]*)=([1-9]\d{0,6})\/(s|m|h)$/;

/** `emails=10/s,invoices=600/m` as rate limits; whatever does not parse is kept as text, for the validator to name. */
export function toRateLimits({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const match = RATE_PATTERN.exec(item);
      return match ? { queue: match[1], limit: Number(match[2]), intervalMs: INTERVALS[match[3]] } : item;
    });
}

@ValidatorConstraint({ name: 'rateLimits' })
export class RateLimitsConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (!Array.isArray(value)) return false;
    const queues = value.map((item) => (typeof item === 'object' && item !== null ? (item as QueueRateLimit).queue : undefined));
    return queues.every((queue) => queue !== undefined && (JOB_TYPES as readonly string[]).includes(queue)) && new Set(queues).size === queues.length;
  }

  defaultMessage(): string {
    return `WORKER_RATE_LIMITS must list <queue>=<jobs>/<s|m|h>, comma-separated, each queue once, the queues among ${JOB_TYPES.join(', ')} (e.g. emails=10/s)`;
  }
}

/** A variable checked by a function that says what is wrong with it, named in its message (never quoting the value: it may hold a password). */
function describedConstraint(name: string, problem: (value: string) => string | undefined) {
  @ValidatorConstraint({ name })
  class DescribedConstraint implements ValidatorConstraintInterface {
    validate(value: unknown): boolean {
      return typeof value === 'string' && problem(value) === undefined;
    }

    defaultMessage(args: ValidationArguments): string {
      return `${args.property} ${typeof args.value === 'string' ? problem(args.value) : 'must be text'}`;
    }
  }
  return DescribedConstraint;
}

export const SmtpUrlConstraint = describedConstraint('smtpUrl', smtpUrlProblem);
export const MailFromConstraint = describedConstraint('mailFrom', mailFromProblem);

/** Each entry of a list checked by a function that says what is wrong with it. */
function describedListConstraint(name: string, problem: (entry: string) => string | undefined) {
  @ValidatorConstraint({ name })
  class DescribedListConstraint implements ValidatorConstraintInterface {
    validate(value: unknown): boolean {
      return Array.isArray(value) && value.every((entry) => typeof entry === 'string' && problem(entry) === undefined);
    }

    defaultMessage(args: ValidationArguments): string {
      const wrong = Array.isArray(args.value) ? args.value.find((entry) => typeof entry !== 'string' || problem(entry) !== undefined) : undefined;
      return `${args.property} ${typeof wrong === 'string' ? problem(wrong) : 'must be a comma-separated list'}`;
    }
  }
  return DescribedListConstraint;
}

export const AllowedHostsConstraint = describedListConstraint('allowedHosts', allowedHostProblem);

/** `1`, `true`, `0`, `false` as a boolean; anything else is kept, for the validator to name. */
export function toBoolean({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === '1' || normalized === 'true') return true;
  if (normalized === '0' || normalized === 'false') return false;
  return value;
}
