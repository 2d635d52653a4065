import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CANCELLABLE_STATUSES, EventType, JobStatus, JobType } from '@baton/contracts';
import type { TraceContext } from '@baton/tracing';
import { connected } from '../database-connector';
import { decodeCursor, encodeCursor } from './page-cursor';
import { JobEntity } from '../entities';
import { PRIMARY_READS, ReplicaReads } from '../replicas/replica-reads';
import { recordEvents } from './event-outbox.repository';
import { EffectSql, jobEvent } from './job-execution.repository';
import type { UnpublishedJob } from './job-intake.repository';
import { JOB_RECORD_COLUMNS, JobRow, quoted, rows, RUNNABLE } from './job-sql';

const CANCELLABLE = quoted(CANCELLABLE_STATUSES);

/** A retried job: a fresh attempt budget, `queued`, unpublished (the relay, or the caller at once, publishes it). */
const RETRIED = `status = '${JobStatus.Queued}', attempts = 0, published_at = NULL, updated_at = now(), completed_at = NULL`;
const RETRIED_COLUMNS = 'id, tenant, type, payload, correlation_id, attempts, trace_context';
/** Dead jobs of type $1 and tenant $2, either one null for all. */
const DEAD_MATCHING = `status = '${JobStatus.Dead}' AND ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR tenant = $2)`;

type RetriedRow = { id: string; tenant: string; type: JobType; payload: object; correlation_id: string | null; attempts: number; trace_context: TraceContext | null };

// The retried job's messages continue the trace of the request that submitted it.
const retriedJob = (row: RetriedRow): RetriedJob => ({
  id: row.id,
  tenant: row.tenant,
  type: row.type,
  payload: row.payload,
  correlationId: row.correlation_id,
  attempts: row.attempts,
  traceContext: row.trace_context,
});

export interface JobFilter {
  status?: JobStatus;
  type?: JobType;
  /** Only the jobs this schedule created. */
  scheduleId?: string;
  /** Only this tenant's jobs; every tenant's when absent (the operators' CLI). */
  tenant?: string;
}

export interface JobPage {
  jobs: JobEntity[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

/** Which dead jobs to retry: of one type, of one tenant; every one when absent. */
export type DeadJobFilter = Pick<JobFilter, 'type' | 'tenant'>;

/** A job sent back to its queue: what to publish, and whose it is (the API drops its cached read). */
export interface RetriedJob extends UnpublishedJob {
  tenant: string;
}

export type RetryOutcome = { kind: 'retried'; job: RetriedJob } | { kind: 'not-found' } | { kind: 'conflict'; status: JobStatus };

export type CancelOutcome =
  | { kind: 'cancelled'; job: JobEntity }
  | { kind: 'not-found' }
  /** The key may only cancel the jobs it submitted. */
  | { kind: 'not-owner' }
  | { kind: 'conflict'; status: JobStatus };

/**
 * What clients and operators see of accepted jobs and do to them: the API's
 * JobsController (find, list) and JobOperationsService (retry, cancel), the
 * CLI's `jobs` and `dlq` commands, and the embedded mode's start-up recovery
 * (JobRecovery, requeueUnfinished).
 */
@Injectable()
export class JobOperationsRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() private readonly replicas: ReplicaReads = PRIMARY_READS,
  ) {}

  /**
   * The tenant's job with this id; null for another tenant's, as for one
   * that does not exist. Clients poll this: it is read from a replica when
   * one has the job and the job is older than DATABASE_READ_MIN_AGE_MS,
   * else from the primary, so that lag never shows a job missing.
   */
  async findById(id: string, tenant: string): Promise<JobEntity | null> {
    return this.replicas.read(
      this.dataSource,
      (source) => findJob(source, id, tenant),
      (job) => (job === null ? 'not-found' : this.replicas.tooYoung(job.createdAt) ? 'too-young' : undefined),
    );
  }

  /** The job with this id: the tenant's only, or any tenant's when `tenant` is absent (an operator). */
  async find(id: string, tenant?: string): Promise<JobEntity | null> {
    return this.findJob(id, tenant);
  }

  /**
   * Jobs newest first, filtered, a page at a time. The cursor is the last
   * row's position (creation time to the microsecond, then id), so pages
   * stay stable while jobs are inserted: new jobs only ever come before.
   */
  async list(filter: JobFilter, limit: number, cursor?: string): Promise<JobPage> {
    const query = connected(this.dataSource).getRepository(JobEntity).createQueryBuilder('job').addSelect('job.created_at::text', 'position');
    if (filter.tenant !== undefined) query.andWhere('job.tenant = :tenant', { tenant: filter.tenant });
    if (filter.status !== undefined) query.andWhere('job.status = :status', { status: filter.status });
    if (filter.type !== undefined) query.andWhere('job.type = :type', { type: filter.type });
    if (filter.scheduleId !== undefined) query.andWhere('job.schedule_id = :scheduleId', { scheduleId: filter.scheduleId });
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      query.andWhere('(job.created_at, job.id) < (:at::timestamptz, :id::uuid)', after);
    }
    query.orderBy('job.created_at', 'DESC').addOrderBy('job.id', 'DESC').limit(limit + 1);
    const { entities, raw } = await query.getRawAndEntities<{ position: string; job_id: string }>();
    const more = entities.length > limit;
    const jobs = entities.slice(0, limit);
    const last = jobs.at(-1);
    const position = last && raw.find((row) => row.job_id === last.id)?.position;
    return { jobs, nextCursor: more && last && position ? encodeCursor(position, last.id) : null };
  }

  /**
   * Gives a dead job a fresh attempt budget: back to `queued`, unpublished,
   * so that the relay (or the caller, at once) publishes it again.
   */
  async retry(id: string, tenant?: string): Promise<RetryOutcome> {
    const [row] = await rows<RetriedRow>(
      this.dataSource,
      `UPDATE jobs SET ${RETRIED} WHERE id = $1 AND ($2::text IS NULL OR tenant = $2) AND status = '${JobStatus.Dead}' RETURNING ${RETRIED_COLUMNS}`,
      [id, tenant ?? null],
    );
    if (row) return { kind: 'retried', job: retriedJob(row) };
    const job = await this.findJob(id, tenant);
    return job ? { kind: 'conflict', status: job.status } : { kind: 'not-found' };
  }

  /**
   * Retries at most `limit` dead jobs, oldest dead first, as `retry` does
   * one, in one statement. Rows another transaction holds are skipped, not
   * waited for: two callers at once retry different jobs.
   */
  async retryDead(filter: DeadJobFilter, limit: number): Promise<RetriedJob[]> {
    const retried = await rows<RetriedRow>(
      this.dataSource,
      `UPDATE jobs SET ${RETRIED}
       WHERE id IN (SELECT id FROM jobs WHERE ${DEAD_MATCHING} ORDER BY updated_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${RETRIED_COLUMNS}`,
      [filter.type ?? null, filter.tenant ?? null, limit],
    );
    return retried.map(retriedJob);
  }

  /** How many dead jobs `retryDead` would retry with these arguments (at most `limit`, so that counting stays bounded too). */
  async countDead(filter: DeadJobFilter, limit: number): Promise<number> {
    const [row] = await rows<{ count: number }>(
      this.dataSource,
      `SELECT count(*)::int AS count FROM (SELECT 1 FROM jobs WHERE ${DEAD_MATCHING} LIMIT $3) AS dead`,
      [filter.type ?? null, filter.tenant ?? null, limit],
    );
    return row.count;
  }

  /**
   * Cancels a job no worker holds (`queued`, or `failed` and waiting for its
   * retry); a delivery that comes later finds it cancelled and does nothing.
   * With `byKeyId`, only a job that key submitted.
   */
  async cancel(id: string, tenant: string, byKeyId?: string): Promise<CancelOutcome> {
    // The cancellation and its `job.cancelled` event commit together.
    const cancelled = await connected(this.dataSource).transaction(async (manager) => {
      const sql: EffectSql = { query: (text, values) => manager.query(text, values) };
      const [row] = await sql.query<JobRow>(
        `WITH cancelled AS (
           UPDATE jobs SET status = '${JobStatus.Cancelled}', updated_at = now()
           WHERE id = $1 AND tenant = $2 AND status IN (${CANCELLABLE}) AND ($3::uuid IS NULL OR api_key_id = $3)
           RETURNING ${JOB_RECORD_COLUMNS}
         ) SELECT * FROM cancelled`,
        [id, tenant, byKeyId ?? null],
      );
      if (row) await recordEvents(sql, [jobEvent(EventType.JobCancelled, row)]);
      return row !== undefined;
    });
    const job = await this.findJob(id, tenant);
    if (!job) return { kind: 'not-found' };
    if (cancelled) return { kind: 'cancelled', job };
    if (byKeyId !== undefined && job.apiKeyId !== byKeyId) return { kind: 'not-owner' };
    return { kind: 'conflict', status: job.status };
  }

  /**
   * Puts every unfinished job back to `queued` and unpublished, so that the
   * relay publishes it again. Only for a broker that loses its messages with
   * the process (the embedded mode's in-process queue), at start, before any
   * worker runs: a RabbitMQ deployment has the messages still.
   */
  async requeueUnfinished(): Promise<number> {
    const requeued = await rows<{ id: string }>(
      this.dataSource,
      `UPDATE jobs SET status = '${JobStatus.Queued}', published_at = NULL, updated_at = now()
       WHERE status IN (${RUNNABLE}) RETURNING id`,
      [],
    );
    return requeued.length;
  }

  private findJob(id: string, tenant?: string): Promise<JobEntity | null> {
    return findJob(this.dataSource, id, tenant);
  }
}

function findJob(source: DataSource, id: string, tenant?: string): Promise<JobEntity | null> {
  return connected(source)
    .getRepository(JobEntity)
    .findOneBy(tenant === undefined ? { id } : { id, tenant });
}
