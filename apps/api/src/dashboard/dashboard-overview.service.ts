import { Injectable, Logger } from '@nestjs/common';
import { JOB_TYPES, JobType } from '@baton/contracts';
import { deadLetterQueue, QueueInspector, QueueStats, workQueue } from '@baton/messaging';
import { describeError } from '@baton/observability';
import { JobStatsRepository, QueuePauseRepository } from '@baton/persistence';

/** The overview's minutes of throughput. */
export const THROUGHPUT_MINUTES = 15;

export interface QueueOverview {
  queue: JobType;
  waiting: number;
  scheduled: number;
  inFlight: number;
  dead: number;
  /** Messages in the type's dead-letter queue: for operators (the queue serves every tenant); null otherwise, or while the broker does not answer. */
  deadLetters: number | null;
  /** Worker replicas consuming the queue; null while the broker does not answer. */
  consumers: number | null;
  paused: boolean;
  oldestWaitingSec: number | null;
  throughput: Array<{ at: string; completed: number; dead: number }>;
}

export interface Overview {
  generatedAt: string;
  queues: QueueOverview[];
}

/**
 * Each job type's queue at a glance: the counts from PostgreSQL (the
 * tenant's, or every tenant's for an operator), consumers and dead letters
 * from the broker, the pause from PostgreSQL.
 */
@Injectable()
export class DashboardOverviewService {
  private readonly logger = new Logger('DashboardOverview');

  constructor(
    private readonly stats: JobStatsRepository,
    private readonly pauses: QueuePauseRepository,
    private readonly inspector: QueueInspector,
  ) {}

  /** `tenant` undefined: every tenant's jobs, and the dead letters (an operator). */
  async overview(tenant: string | undefined): Promise<Overview> {
    const [counts, minutes, oldest, paused, queues] = await Promise.all([
      this.stats.counts(JOB_TYPES, tenant),
      this.stats.throughput(JOB_TYPES, THROUGHPUT_MINUTES, tenant),
      this.stats.oldestWaiting(JOB_TYPES, tenant),
      this.pauses.paused(),
      this.brokerStats(),
    ]);
    const pausedQueues = new Set(paused.map((pause) => pause.queue));
    const messagesIn = (name: string) => queues?.find((stats) => stats.queue === name);
    return {
      generatedAt: new Date().toISOString(),
      queues: counts.map((count) => ({
        queue: count.type,
        waiting: count.waiting,
        scheduled: count.scheduled,
        inFlight: count.processing,
        dead: count.dead,
        deadLetters: tenant === undefined ? (messagesIn(deadLetterQueue(count.type))?.messages ?? null) : null,
        consumers: messagesIn(workQueue(count.type))?.consumers ?? null,
        paused: pausedQueues.has(count.type),
        oldestWaitingSec: oldest.find((entry) => entry.type === count.type)?.ageSeconds ?? null,
        throughput: minutes.filter((minute) => minute.type === count.type).map((minute) => ({ at: minute.at.toISOString(), completed: minute.completed, dead: minute.dead })),
      })),
    };
  }

  /** The broker's view, or undefined while it does not answer: the rest of the overview still shows. */
  private async brokerStats(): Promise<QueueStats[] | undefined> {
    try {
      return await this.inspector.stats();
    } catch (error) {
      this.logger.warn(`queue stats unavailable: ${describeError(error)}`);
      return undefined;
    }
  }
}
