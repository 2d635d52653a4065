export { CronSchedule, MAX_CRON_LENGTH, MAX_TIMEZONE_LENGTH } from './cron-schedule';
export { MISSED_TICK_GRACE_MS, planTicks, TickPlan } from './missed-ticks';
export { rescheduledRunAt, ScheduleTiming } from './schedule-change';
