import { Cron } from 'croner';
import { FieldError } from '@baton/contracts';

/** Longest cron expression and time zone name stored: far above any real one, so that a body cannot bloat the table. */
export const MAX_CRON_LENGTH = 200;
export const MAX_TIMEZONE_LENGTH = 64;

// IANA names ("Europe/Paris", "Etc/GMT+5", "UTC"), not UTC offsets ("+01:00"),
// which newer Node.js versions would accept and which have no DST rules.
const TIMEZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
// Standard cron characters, names (MON, JAN) and croner's L, W and #. `?`
// is left out: croner reads it as the value of the moment the expression is
// parsed, which would differ from one API replica to the next.
const CRON_FIELD = /^[0-9A-Za-z*,\-/#]+$/;

/**
 * A schedule's cron expression in its time zone, parsed by croner: 5
 * fields (minute hour day-of-month month day-of-week), or 6 with seconds
 * first. What every tick, next run and missed tick is computed from.
 */
export class CronSchedule {
  private constructor(private readonly cron: Cron) {}

  /** The schedule, or the fields that are wrong (`cron`, `timezone`), each with why. */
  static parse(expression: string, timezone: string, now = new Date()): CronSchedule | { errors: FieldError[] } {
    const zoneProblem = timezoneProblem(timezone);
    if (zoneProblem !== undefined) return { errors: [{ field: 'timezone', messages: [zoneProblem] }] };
    const problem = cronProblem(expression);
    if (problem !== undefined) return { errors: [{ field: 'cron', messages: [problem] }] };
    let cron: Cron;
    try {
      // No function is given: croner only computes, it never starts a timer.
      cron = new Cron(expression.trim(), { timezone, mode: '5-or-6-parts' });
    } catch (error) {
      return { errors: [{ field: 'cron', messages: [`cron is not a valid expression: ${(error as Error).message.replace(/^CronPattern: /, '')}`] }] };
    }
    const schedule = new CronSchedule(cron);
    if (schedule.nextAfter(now) === null) return { errors: [{ field: 'cron', messages: ['cron never fires (no such date)'] }] };
    return schedule;
  }

  /** Parses an expression that was validated when it was stored. */
  static of(expression: string, timezone: string): CronSchedule {
    const parsed = CronSchedule.parse(expression, timezone);
    if (parsed instanceof CronSchedule) return parsed;
    throw new Error(`invalid stored schedule "${expression}" (${timezone}): ${parsed.errors.map((error) => error.messages.join('; ')).join('; ')}`);
  }

  /** The first tick strictly after `instant`; ticks fall on whole seconds. Null if there is none. */
  nextAfter(instant: Date): Date | null {
    return this.cron.nextRun(instant);
  }

  /** The latest tick strictly before `instant`. */
  latestBefore(instant: Date): Date | null {
    return this.cron.previousRuns(1, instant)[0] ?? null;
  }
}

function cronProblem(expression: string): string | undefined {
  if (expression.length > MAX_CRON_LENGTH) return `cron must be at most ${MAX_CRON_LENGTH} characters`;
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return 'cron must have 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first';
  }
  const odd = fields.find((field) => !CRON_FIELD.test(field));
  if (odd !== undefined) return `cron field "${odd}" is not allowed: use digits, names, * , - / and croner's L, W and #`;
  return undefined;
}

function timezoneProblem(timezone: string): string | undefined {
  const problem = 'timezone must be an IANA time zone such as Europe/Paris or UTC';
  if (timezone.length > MAX_TIMEZONE_LENGTH || !TIMEZONE_NAME.test(timezone)) return problem;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return problem;
  }
}
