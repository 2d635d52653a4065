import { CronSchedule } from './cron-schedule';

/** What decides when a schedule fires. */
export interface ScheduleTiming {
  cron: string;
  timezone: string;
  paused: boolean;
}

/**
 * When a schedule fires next after a change, or null to keep the time it
 * has. A new cron or time zone, or a resume, counts from `now`: ticks
 * missed while paused never run, and the old expression's pending tick is
 * not kept. A paused schedule keeps its time; it is recomputed at resume.
 */
export function rescheduledRunAt(before: ScheduleTiming, after: ScheduleTiming, now: Date): Date | null {
  if (after.paused) return null;
  const changed = before.cron !== after.cron || before.timezone !== after.timezone || before.paused;
  return changed ? CronSchedule.of(after.cron, after.timezone).nextAfter(now) : null;
}
