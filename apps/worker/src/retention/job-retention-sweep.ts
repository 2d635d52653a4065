import { setTimeout as delay } from 'node:timers/promises';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { ExpiringStatus, isJobType, JobStatus, JobType } from '@baton/contracts';
import { describeError, Metrics } from '@baton/observability';
import { isDatabaseUnavailable, JobRetentionRepository } from '@baton/persistence';
import { jobCacheKey, ReadCache } from '@baton/read-cache';

/**
 * Rows one transaction deletes: few enough that its row locks, its WAL and
 * its index clean-up stay short, so the API's inserts never queue behind it.
 */
export const RETENTION_BATCH = 1_000;
/** A breath between two batches, for the accept path's statements to go first during a long sweep. */
const BATCH_PAUSE_MS = 20;
/**
 * How long a tombstone outlives its job: long after any client still polls
 * a job it submitted, short enough that the tombstones stay a small table.
 */
export const TOMBSTONE_RETENTION_SEC = 90 * 86_400;

/**
 * Deletes the finished jobs of the types this worker consumes once they are
 * older than their status's retention (JOB_RETENTION_*_SEC), every
 * JOB_RETENTION_SWEEP_MS, and the tombstones older than
 * TOMBSTONE_RETENTION_SEC. Each worker group so applies its own retention
 * to its own types; the repository's per-type lock leaves a type to one
 * process at a time, and the others skip it until their next sweep.
 * The read cache's entries of the deleted jobs are dropped after each
 * batch commits, so that a deleted job answers 410, not its cached 200.
 */
@Injectable()
export class JobRetentionSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobRetentionSweep');
  private readonly types: JobType[];
  private readonly retentionSec: Array<[ExpiringStatus, number]>;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly repository: JobRetentionRepository,
    private readonly config: BatonConfig,
    private readonly metrics: Metrics,
    private readonly cache: ReadCache,
  ) {
    this.types = config.WORKER_QUEUES.filter(isJobType);
    this.retentionSec = [
      [JobStatus.Completed, config.JOB_RETENTION_COMPLETED_SEC],
      [JobStatus.Dead, config.JOB_RETENTION_DEAD_SEC],
      [JobStatus.Cancelled, config.JOB_RETENTION_CANCELLED_SEC],
    ];
  }

  onApplicationBootstrap(): void {
    if (this.types.length === 0) return;
    this.timer = setInterval(() => void this.sweep(), this.config.JOB_RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  /** One sweep over every type and status; one at a time per process. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepAll()
      .catch((error) => {
        // The database away is reported by the readiness probe; the next sweep tries again.
        if (!isDatabaseUnavailable(error)) this.logger.warn(`retention sweep failed: ${describeError(error)}`);
      })
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepAll(): Promise<void> {
    for (const type of this.types) {
      for (const [status, olderThanSec] of this.retentionSec) {
        if (olderThanSec === 0) continue;
        const removed = await this.drain(async () => {
          const batch = await this.repository.expireBatch({ type, status, olderThanSec }, RETENTION_BATCH);
          if (batch === null) return null;
          this.metrics.jobsExpired.inc({ type, status }, batch.length);
          await this.cache.invalidate(batch.map((job) => jobCacheKey(job.tenant, job.id)));
          return batch.length;
        });
        if (removed > 0) this.logger.log(`deleted ${removed} ${status} ${type} jobs finished more than ${olderThanSec} s ago`);
      }
      const forgotten = await this.drain(() => this.repository.forgetTombstones(type, TOMBSTONE_RETENTION_SEC, RETENTION_BATCH));
      if (forgotten > 0) this.logger.log(`deleted ${forgotten} tombstones of ${type} jobs expired more than ${TOMBSTONE_RETENTION_SEC} s ago`);
    }
  }

  /**
   * Runs batch after batch while they come back full, pausing between two;
   * stops at once when another process holds the type (null) or when this
   * one is shutting down. Returns how many rows went.
   */
  private async drain(batch: () => Promise<number | null>): Promise<number> {
    let total = 0;
    while (!this.stopping) {
      const removed = await batch();
      if (removed === null) break;
      total += removed;
      if (removed < RETENTION_BATCH) break;
      await delay(BATCH_PAUSE_MS);
    }
    return total;
  }

  /** Before PostgreSQL closes: no further batch, and the one under way (a short transaction) finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.sweeping;
  }
}
