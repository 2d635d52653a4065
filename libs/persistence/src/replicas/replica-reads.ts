import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics } from '@baton/observability';
import { connectedPool } from '../database-connector';
import { ReadReplica, ReadReplicaSettings } from './read-replica';
import { walPosition } from './replay-position';

/** Why a routed read was answered by the primary. */
export type PrimaryReason = 'not-found' | 'too-young' | 'no-replica' | 'replica-error';

/** A read's verdict on a replica's answer: undefined keeps it, a reason sends the read to the primary. */
export type ReplicaVerdict<T> = (answer: T) => PrimaryReason | undefined;

/** A replica's answer of nothing is not trusted: the row may not have arrived yet. */
export const unlessMissing = <T>(answer: T | null): PrimaryReason | undefined => (answer === null ? 'not-found' : undefined);

/** What ReplicaReads needs of a replica: a ReadReplica, or a stand-in in a spec. */
export type RoutedReplica = Pick<ReadReplica, 'name' | 'dataSource' | 'catchUp' | 'up' | 'probeDueAt' | 'probe' | 'failed' | 'close'>;

export interface ReplicaReadsSettings {
  replicas: ReadReplicaSettings[];
  /** DATABASE_READ_MIN_AGE_MS. */
  minAgeMs: number;
}

/**
 * The hot reads' way to DATABASE_READ_URL's replicas (docs/read-replicas.md).
 * A read runs on the next replica in turn that is up and caught up to within
 * DATABASE_READ_MIN_AGE_MS, and its answer is kept unless the caller's
 * verdict refuses it (nothing found; a job younger than the bound); then,
 * and whenever no replica fits or the replica fails, it runs on the primary.
 * A replica never makes a read fail, nor the process unready. Without
 * replicas (PRIMARY_READS) every read runs on the primary, as before.
 */
export class ReplicaReads implements OnApplicationShutdown {
  /** How often the primary's position and each replica's replay are read: eight times within the bound, so that probing adds an eighth to what a replica may seem behind. */
  readonly probeIntervalMs: number;
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly primary: DataSource | undefined,
    private readonly replicas: RoutedReplica[],
    private readonly minAgeMs: number,
    private readonly metrics?: Metrics,
  ) {
    this.probeIntervalMs = Math.min(1000, Math.max(50, Math.floor(minAgeMs / 8)));
    if (this.replicas.length === 0) return;
    for (const target of ['replica', 'primary'] as const) {
      for (const reason of target === 'replica' ? ['fresh'] : ['not-found', 'too-young', 'no-replica', 'replica-error']) metrics?.databaseReads.inc({ target, reason }, 0);
    }
    metrics?.sampleReadReplicas(() =>
      this.replicas.map((replica) => ({ replica: replica.name, up: replica.up, stalenessSeconds: replica.catchUp.stalenessMs(Date.now()) / 1000 })),
    );
    void this.probe();
  }

  /** Pools for DATABASE_READ_URL's replicas (connected in the background), probed against `primary`. */
  static connect(primary: DataSource, settings: ReplicaReadsSettings, metrics?: Metrics): ReplicaReads {
    const logger = new Logger('ReadReplicas');
    return new ReplicaReads(
      primary,
      settings.replicas.map((replica) => new ReadReplica(replica, logger)),
      settings.minAgeMs,
      metrics,
    );
  }

  /** True for a job created less than DATABASE_READ_MIN_AGE_MS ago: it is read from the primary. */
  tooYoung(createdAt: Date): boolean {
    return Date.now() - createdAt.getTime() < this.minAgeMs;
  }

  /** `query` on a replica if one fits and `verdict` keeps its answer; else on `primary`. */
  async read<T>(primary: DataSource, query: (source: DataSource) => Promise<T>, verdict: ReplicaVerdict<T>): Promise<T> {
    if (this.replicas.length === 0) return query(primary);
    const replica = this.nextReplica();
    if (!replica) return this.onPrimary(primary, query, 'no-replica');
    let answer: T;
    try {
      answer = await query(replica.dataSource);
    } catch (error) {
      replica.failed(error, Date.now());
      return this.onPrimary(primary, query, 'replica-error');
    }
    const reason = verdict(answer);
    if (reason !== undefined) return this.onPrimary(primary, query, reason);
    this.metrics?.databaseReads.inc({ target: 'replica', reason: 'fresh' });
    return answer;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.replicas.map((replica) => replica.close().catch(() => undefined)));
  }

  private onPrimary<T>(primary: DataSource, query: (source: DataSource) => Promise<T>, reason: PrimaryReason): Promise<T> {
    this.metrics?.databaseReads.inc({ target: 'primary', reason });
    return query(primary);
  }

  /** Round robin over the replicas that are up and, with a bound, caught up to within it. */
  private nextReplica(): RoutedReplica | undefined {
    const now = Date.now();
    for (let tried = 0; tried < this.replicas.length; tried++) {
      const replica = this.replicas[this.turn++ % this.replicas.length];
      if (replica.up && (this.minAgeMs === 0 || replica.catchUp.stalenessMs(now) <= this.minAgeMs)) return replica;
    }
    return undefined;
  }

  /**
   * One round: the primary's flushed WAL position (with the time just
   * before asking), then a probe of every replica due for one. Probes are
   * not awaited: a replica hanging until its connect timeout must not hold
   * up the others. Their order does not matter either: a replica that has
   * replayed past a sampled position holds every commit before its time,
   * whenever either was read.
   */
  private async probe(): Promise<void> {
    const started = Date.now();
    const position = await this.primaryPosition();
    if (position !== undefined) for (const replica of this.replicas) replica.catchUp.primaryAt(started, position);
    for (const replica of this.replicas) if (replica.probeDueAt <= Date.now()) void replica.probe();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), Math.max(0, this.probeIntervalMs - (Date.now() - started)));
    this.timer.unref();
  }

  private async primaryPosition(): Promise<bigint | undefined> {
    try {
      const { rows } = await connectedPool(this.primary!).query<{ position: string }>({
        name: 'baton_primary_flush_position',
        text: 'SELECT pg_current_wal_flush_lsn()::text AS position',
      });
      return walPosition(rows[0].position);
    } catch {
      // The primary away (or not connected yet): no replica gets fresher until it is back.
      return undefined;
    }
  }
}

/** Every read on the primary: no DATABASE_READ_URL, and the repositories that tests build by hand. */
export const PRIMARY_READS = new ReplicaReads(undefined, [], 0);
