import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { jobMessageOf } from '@baton/messaging';
import { describeError, Metrics } from '@baton/observability';
import { Schedule, ScheduledJob, ScheduleRepository } from '@baton/persistence';
import { CronSchedule, planTicks, TickPlan } from '@baton/schedules';
import { JobRelay } from '../jobs/job-relay';

// Ticks fall on whole seconds. A pass every RELAY_INTERVAL_MS (a second by
// default) would create a tick's job up to a second late, and a schedule of
// every second would see its ticks two at a time; a quarter second keeps a
// job within about 250 ms of its tick, for one indexed query that usually
// finds nothing, four times a second per API replica.
const MAX_TICK_INTERVAL_MS = 250;
const TICK_BATCH = 100;

/**
 * Creates the jobs of the schedules' ticks. Every API replica runs it;
 * a pass locks the due schedules it takes (SKIP LOCKED), so replicas share
 * them without waiting on each other, and the unique key of a job's
 * schedule and tick makes a second job for a tick impossible whatever
 * happens (libs/persistence ScheduleRepository.createDueJobs). A job is
 * published as soon as its pass commits; the relay's sweep publishes any
 * the broker did not confirm. Missed ticks follow planTicks
 * (libs/schedules): late ones within a minute all run, of older ones the latest.
 */
@Injectable()
export class ScheduleTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ScheduleTicker');
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<unknown>;
  private failing = false;

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly relay: JobRelay,
    private readonly config: BatonConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), Math.min(MAX_TICK_INTERVAL_MS, this.config.RELAY_INTERVAL_MS));
    this.timer.unref();
  }

  /**
   * One pass at `now`: creates a job for every due tick, moves each
   * schedule on to its next tick, and publishes the jobs. Answers them.
   */
  async createDueJobs(now = new Date()): Promise<ScheduledJob[]> {
    const created: ScheduledJob[] = [];
    for (;;) {
      const { planned, jobs } = await this.schedules.createDueJobs(now, TICK_BATCH, this.config.JOB_MAX_ATTEMPTS, (schedule) => this.plan(schedule, now));
      for (const job of jobs) {
        this.relay.dispatch(jobMessageOf({ ...job, attempts: 0 }));
        this.metrics.scheduleTicks.inc({ type: job.type, outcome: 'created' });
      }
      for (const { schedule, plan } of planned) {
        if (plan.skipped > 0) this.metrics.scheduleTicks.inc({ type: schedule.type, outcome: 'skipped' }, plan.skipped);
      }
      created.push(...jobs);
      if (planned.length < TICK_BATCH) return created;
    }
  }

  private plan(schedule: Schedule, now: Date): TickPlan {
    try {
      return planTicks(CronSchedule.of(schedule.cron, schedule.timezone), schedule.nextRunAt, now);
    } catch (error) {
      // Stored before a stricter check (or by hand): paused, so that it cannot stop every other schedule's pass.
      this.logger.warn(`schedule ${schedule.id} is paused: its cron or time zone no longer parses (${describeError(error)})`);
      return { ticks: [], skipped: 0, nextRunAt: null };
    }
  }

  /**
   * The timer's pass: one at a time per process. A failure (the database
   * away) is logged when passes start failing, not four times a second, and
   * the next pass tries again; late ticks then follow the missed-tick policy.
   */
  private tick(): void {
    this.ticking ??= this.createDueJobs()
      .then(() => {
        if (this.failing) this.logger.log('schedule passes succeed again');
        this.failing = false;
      })
      .catch((error) => {
        if (!this.failing) this.logger.warn(`schedule pass failed, retrying every pass until one succeeds: ${describeError(error)}`);
        this.failing = true;
      })
      .finally(() => (this.ticking = undefined));
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }
}
