import { CronSchedule } from './cron-schedule';

/** What decides when a schedule fires. */
export interface ScheduleTiming {
  cron: string;
  timezone: string;
  paused: boolean;
}

/**
 * When a schedule fires next after `change` (what a request sets; undefined
 * leaves a field as it is), or null to keep the time it
 * has. A new cron or time zone, or a resume, counts from `now`: ticks
 * missed while paused never run, and the old expression's pending tick is
 * not kept. A paused schedule keeps its time; it is recomputed at resume.
 */
export function rescheduledRunAt(current: ScheduleTiming, change: Partial<ScheduleTiming>, now: Date): Date | null {
  const after = { ...current, ...definedOnly(change) };
  if (after.paused) return null;
  const changed = after.cron !== current.cron || after.timezone !== current.timezone || current.paused;
  return changed ? CronSchedule.of(after.cron, after.timezone).nextAfter(now) : null;
}

function definedOnly(change: Partial<ScheduleTiming>): Partial<ScheduleTiming> {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
}
