import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { WORKER_QUEUE_NAMES } from '@baton/contracts';
import { describeError, Metrics } from '@baton/observability';

/** Where the paused queues are kept (PostgreSQL's queue_pauses, through QueuePauseRepository). */
export interface QueuePauseSource {
  paused(): Promise<ReadonlyArray<{ queue: string }>>;
}

export const QUEUE_PAUSE_SOURCE = Symbol('QUEUE_PAUSE_SOURCE');

// A pause must take effect within 5 s on every replica; a read of a table of
// a few rows each second per worker process is nothing beside that promise.
const POLL_MS = 1_000;
// Until the first read succeeds the worker consumes nothing, so it tries
// again sooner: at start the database is usually connected within
// milliseconds of the first try, and a full POLL_MS would hold the worker's
// readiness back by a second. Doubling up to POLL_MS.
const FIRST_READ_RETRY_MS = 50;

/**
 * Reads which queues are paused, every POLL_MS, for the job transport, and
 * exports it as baton_queue_paused. A process without a source (tests that
 * build the transport alone) sees no queue paused.
 */
@Injectable()
export class QueuePauseWatcher {
  private readonly logger = new Logger('QueuePauses');
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly metrics: Metrics,
    @Optional() @Inject(QUEUE_PAUSE_SOURCE) private readonly source?: QueuePauseSource,
  ) {}

  /**
   * Calls `apply` with the paused queues after the first successful read and
   * after every read that differs from the last. While the first read fails
   * (PostgreSQL away at start) `apply` is not called: a worker must not
   * consume a queue it cannot tell is not paused.
   */
  watch(apply: (paused: ReadonlySet<string>) => Promise<void>): void {
    let last: string | undefined;
    let firstReadRetry = FIRST_READ_RETRY_MS;
    const poll = async (): Promise<void> => {
      try {
        const paused = new Set(this.source ? (await this.source.paused()).map((pause) => pause.queue) : []);
        const key = [...paused].sort().join(',');
        if (key !== last && !this.stopped) {
          await apply(paused);
          // Only once applied: the gauge says what this worker does, and a failed cancel or consume is tried again at the next read.
          for (const queue of WORKER_QUEUE_NAMES) this.metrics.queuePaused.set({ queue }, paused.has(queue) ? 1 : 0);
          last = key;
        }
        if (this.failing) this.logger.log('paused queues read and applied again');
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`cannot read or apply the paused queues (${describeError(error)}); trying again`);
        this.failing = true;
      }
      let delay = POLL_MS;
      if (last === undefined) {
        delay = Math.min(firstReadRetry, POLL_MS);
        firstReadRetry *= 2;
      }
      if (this.source && !this.stopped) this.timer = setTimeout(() => void poll(), delay);
    };
    void poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
