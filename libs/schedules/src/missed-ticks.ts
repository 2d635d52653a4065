import { CronSchedule } from './cron-schedule';

/**
 * Ticks later than this are missed ticks: a schedule's tick is created up
 * to this long after its time (an API busy, restarting, or its database
 * briefly away), and only the latest of the older ones is. Far above the
 * ticker's pass interval, so that normal operation never skips a tick.
 */
export const MISSED_TICK_GRACE_MS = 60_000;

// Counting skipped ticks means enumerating them; a schedule every second
// that missed a month would be millions. The metric counts this many at most per pass.
const MAX_COUNTED_SKIPS = 1_000;

/** What one pass makes of a due schedule. */
export interface TickPlan {
  /** The ticks to create a job for, oldest first. */
  ticks: Date[];
  /** Missed ticks dropped by the policy (counted up to 1,000). */
  skipped: number;
  /** The first tick after `now`; null if the expression never fires again. */
  nextRunAt: Date | null;
}

/**
 * The missed-tick policy. Of the ticks from `nextRunAt` (the first not yet
 * created) to `now`, every tick late by at most `graceMs` runs; of the
 * older ones only the latest runs, once, so an outage costs a schedule its
 * repeats, never its most recent run.
 */
export function planTicks(schedule: CronSchedule, nextRunAt: Date, now: Date, graceMs = MISSED_TICK_GRACE_MS): TickPlan {
  if (nextRunAt > now) return { ticks: [], skipped: 0, nextRunAt };
  const graceStart = new Date(now.getTime() - graceMs);
  const ticks: Date[] = [];
  let skipped = 0;
  if (nextRunAt < graceStart) {
    const latestMissed = schedule.latestBefore(graceStart);
    if (latestMissed !== null && latestMissed >= nextRunAt) {
      ticks.push(latestMissed);
      skipped = countTicks(schedule, nextRunAt, latestMissed);
    }
  }
  const first = nextRunAt < graceStart ? graceStart : nextRunAt;
  // One millisecond back: nextAfter is strict, and `first` may be a tick itself.
  for (let tick = schedule.nextAfter(new Date(first.getTime() - 1)); tick !== null && tick <= now; tick = schedule.nextAfter(tick)) {
    ticks.push(tick);
  }
  return { ticks, skipped, nextRunAt: schedule.nextAfter(now) };
}

/** The ticks from `from` (included) to `until` (excluded), up to MAX_COUNTED_SKIPS. */
function countTicks(schedule: CronSchedule, from: Date, until: Date): number {
  let count = 0;
  for (let tick = schedule.nextAfter(new Date(from.getTime() - 1)); tick !== null && tick < until && count < MAX_COUNTED_SKIPS; tick = schedule.nextAfter(tick)) count++;
  return count;
}
