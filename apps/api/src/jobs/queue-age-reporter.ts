import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { JOB_TYPES } from '@baton/contracts';
import { describeError, OldestPendingSample } from '@baton/observability';
import { OldestPending, QueueAgeRepository } from '@baton/persistence';

/**
 * Keeps the age of each queue's oldest waiting job for
 * baton_queue_oldest_pending_seconds. Every API replica runs it; only the
 * one holding the queue-age lock (QueueAgeRepository) reads PostgreSQL, every
 * QUEUE_AGE_REFRESH_MS, and reports. Between two reads the ages go on
 * growing with the clock, so a scrape sees a job's age to the second
 * whatever the interval; a job taken meanwhile is noticed at the next read.
 */
@Injectable()
export class QueueAgeReporter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueAgeReporter');
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private failing = false;
  private last?: { readAt: number; ages: OldestPending[] };

  constructor(
    private readonly queueAges: QueueAgeRepository,
    private readonly config: BatonConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.config.QUEUE_AGE_REFRESH_MS);
    this.timer.unref();
  }

  /** The ages now, by queue; undefined while another replica reports them (or the last read failed). */
  readonly current = (): OldestPendingSample[] | undefined => {
    if (!this.last) return undefined;
    const elapsed = (Date.now() - this.last.readAt) / 1000;
    // A queue with nothing waiting stays at 0 until a read finds a job.
    return this.last.ages.map(({ type, ageSeconds }) => ({ queue: type, ageSeconds: ageSeconds > 0 ? ageSeconds + elapsed : 0 }));
  };

  /** One read at a time; a failure is logged once, and reports nothing until a read succeeds. */
  private refresh(): void {
    const readAt = Date.now();
    this.refreshing ??= this.queueAges
      .oldestPending(JOB_TYPES)
      .then((ages) => {
        this.last = ages && { readAt, ages };
        if (this.failing) this.logger.log('queue ages are read again');
        this.failing = false;
      })
      .catch((error) => {
        this.last = undefined;
        if (!this.failing) this.logger.warn(`reading queue ages failed, retrying every ${this.config.QUEUE_AGE_REFRESH_MS} ms: ${describeError(error)}`);
        this.failing = true;
      })
      .finally(() => (this.refreshing = undefined));
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
  }
}
