import { Inject, Injectable } from '@nestjs/common';
import { connected, connectedPool } from '../database-connector';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { CANCELLABLE_STATUSES, isUuid, JobStatus, JobType, RUNNABLE_STATUSES } from '@baton/contracts';
import { JobEntity } from '../entities';

export interface NewJob {
  id: string;
  type: JobType;
  tenant: string;
  /** The API key that submitted it. */
  apiKeyId?: string;
  payload: object;
  maxAttempts: number;
  correlationId: string;
  idempotencyKey?: string;
  requestHash?: string;
}

export type InsertOutcome =
  | { kind: 'created' }
  /** The idempotency key was used before with the same request: the earlier job stands. */
  | { kind: 'replayed'; jobId: string; status: JobStatus }
  /** The idempotency key was used before with a different request. */
  | { kind: 'conflict' };

/** A job as a worker sees it after taking it: its state after the take. */
export interface ClaimedJob {
  type: JobType;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /** When the API accepted the job. */
  createdAt: Date;
}

/** A job the relay still has to hand to the broker. */
export interface UnpublishedJob {
  id: string;
  type: JobType;
  payload: object;
  correlationId: string | null;
  attempts: number;
}

export type EffectOutcome<R> = { applied: true; result: R } | { applied: false };

/** The job an effect is applied for, as its row says (never as its message says). */
/** Where an effect runs its statements: the job's transaction. Resolves with the rows. */
export interface EffectSql {
  query<T = any>(text: string, values?: unknown[]): Promise<T[]>;
}

export interface EffectJob {
  id: string;
  tenant: string;
}

// Bounded so that a job that fails with a huge message (a stack, a dumped
// payload) cannot bloat its row or the API's answer.
export const MAX_ERROR_LENGTH = 4000;
export const MAX_STACK_LENGTH = 4000;
/** Attempt errors kept per job: the most recent ones, which say why it is failing now. */
export const MAX_ATTEMPT_ERRORS = 20;

const quoted = (statuses: readonly JobStatus[]) => statuses.map((status) => `'${status}'`).join(', ');
const RUNNABLE = quoted(RUNNABLE_STATUSES);
const CANCELLABLE = quoted(CANCELLABLE_STATUSES);

/** Why an attempt failed, as the worker caught it. */
export interface AttemptFailure {
  message: string;
  stack?: string;
}

export interface JobFilter {
  status?: JobStatus;
  type?: JobType;
  /** Only this tenant's jobs; every tenant's when absent (the operators' CLI). */
  tenant?: string;
}

export interface JobPage {
  jobs: JobEntity[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

/** A cursor that does not decode to a position: the client's input, refused with a 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
    this.name = 'InvalidCursorError';
  }
}

export type RetryOutcome = { kind: 'retried'; job: UnpublishedJob } | { kind: 'not-found' } | { kind: 'conflict'; status: JobStatus };

export type CancelOutcome =
  | { kind: 'cancelled'; job: JobEntity }
  | { kind: 'not-found' }
  /** The key may only cancel the jobs it submitted. */
  | { kind: 'not-owner' }
  | { kind: 'conflict'; status: JobStatus };

@Injectable()
export class JobRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Records an accepted job. With an idempotency key, a second insert returns the first job instead. */
  async insert(job: NewJob): Promise<InsertOutcome> {
    const values = [
      job.id,
      job.type,
      job.payload,
      job.maxAttempts,
      job.correlationId,
      job.idempotencyKey ?? null,
      job.requestHash ?? null,
      job.tenant,
      job.apiKeyId ?? null,
    ];
    const insert = `INSERT INTO jobs (id, type, payload, max_attempts, correlation_id, idempotency_key, request_hash, tenant, api_key_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
    if (job.idempotencyKey === undefined) {
      await connectedPool(this.dataSource).query({ name: 'baton-insert-job', text: insert, values });
      return { kind: 'created' };
    }
    // Two attempts: the first job with this key might be deleted between our
    // conflicting insert and the look-up that follows it.
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await connectedPool(this.dataSource).query({
        name: 'baton-insert-idempotent-job',
        text: `${insert} ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
        values,
      });
      if (inserted.rows.length > 0) return { kind: 'created' };
      const [earlier] = await connected(this.dataSource).query(
        `SELECT id, status, request_hash FROM jobs WHERE tenant = $1 AND idempotency_key = $2`,
        [job.tenant, job.idempotencyKey],
      );
      if (earlier) {
        return earlier.request_hash === job.requestHash ? { kind: 'replayed', jobId: earlier.id, status: earlier.status } : { kind: 'conflict' };
      }
    }
    return { kind: 'conflict' };
  }

  /** The tenant's job with this id; null for another tenant's, as for one that does not exist. */
  async findById(id: string, tenant: string): Promise<JobEntity | null> {
    return this.findJob(id, tenant);
  }

  /**
   * Takes a delivered job: a runnable job becomes `processing` and spends an
   * attempt (a delivery that crashed its worker spent one too). A finished
   * job is returned as it is. Null when no job of that type has that id.
   */
  async claim(id: string, type: JobType): Promise<ClaimedJob | null> {
    const [row] = await this.rows<{ type: JobType; status: JobStatus; attempts: number; max_attempts: number; created_at: Date }>(
      `UPDATE jobs SET
         status = CASE WHEN status IN (${RUNNABLE}) THEN '${JobStatus.Processing}' ELSE status END,
         attempts = CASE WHEN status IN (${RUNNABLE}) THEN attempts + 1 ELSE attempts END,
         updated_at = CASE WHEN status IN (${RUNNABLE}) THEN now() ELSE updated_at END
       WHERE id = $1 AND type = $2
       RETURNING type, status, attempts, max_attempts, created_at`,
      [id, type],
      'baton-claim-job',
    );
    return row
      ? { type: row.type, status: row.status, attempts: row.attempts, maxAttempts: row.max_attempts, createdAt: row.created_at }
      : null;
  }

  /**
   * Records a failed attempt: `failed` (a retry follows) while attempts
   * remain, `dead` once they are spent or when `final`. Returns the new
   * status, or null if the job is no longer being processed (a duplicate
   * delivery finished it meanwhile).
   */
  async recordFailure(id: string, failure: AttemptFailure, final = false): Promise<JobStatus.Failed | JobStatus.Dead | null> {
    const message = failure.message.slice(0, MAX_ERROR_LENGTH);
    const [row] = await this.rows<{ status: JobStatus.Failed | JobStatus.Dead }>(
      `UPDATE jobs SET
         status = CASE WHEN $3 OR attempts >= max_attempts THEN '${JobStatus.Dead}' ELSE '${JobStatus.Failed}' END,
         last_error = $2,
         errors = CASE WHEN jsonb_array_length(errors) >= ${MAX_ATTEMPT_ERRORS} THEN errors - 0 ELSE errors END
           || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                'attempt', attempts, 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'message', $2::text, 'stack', $4::text))),
         updated_at = now()
       WHERE id = $1 AND status IN (${RUNNABLE})
       RETURNING status`,
      [id, message, final, failure.stack?.slice(0, MAX_STACK_LENGTH) ?? null],
    );
    return row ? row.status : null;
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
    const [row] = await this.rows<{ id: string; type: JobType; payload: object; correlation_id: string | null; attempts: number }>(
      `UPDATE jobs SET status = '${JobStatus.Queued}', attempts = 0, published_at = NULL, updated_at = now(), completed_at = NULL
       WHERE id = $1 AND ($2::text IS NULL OR tenant = $2) AND status = '${JobStatus.Dead}'
       RETURNING id, type, payload, correlation_id, attempts`,
      [id, tenant ?? null],
    );
    if (row) return { kind: 'retried', job: { id: row.id, type: row.type, payload: row.payload, correlationId: row.correlation_id, attempts: row.attempts } };
    const job = await this.findJob(id, tenant);
    return job ? { kind: 'conflict', status: job.status } : { kind: 'not-found' };
  }

  /**
   * Cancels a job no worker holds (`queued`, or `failed` and waiting for its
   * retry); a delivery that comes later finds it cancelled and does nothing.
   * With `byKeyId`, only a job that key submitted.
   */
  async cancel(id: string, tenant: string, byKeyId?: string): Promise<CancelOutcome> {
    const cancelled = await this.rows<{ id: string }>(
      `UPDATE jobs SET status = '${JobStatus.Cancelled}', updated_at = now()
       WHERE id = $1 AND tenant = $2 AND status IN (${CANCELLABLE}) AND ($3::uuid IS NULL OR api_key_id = $3)
       RETURNING id`,
      [id, tenant, byKeyId ?? null],
    );
    const job = await this.findJob(id, tenant);
    if (!job) return { kind: 'not-found' };
    if (cancelled.length > 0) return { kind: 'cancelled', job };
    if (byKeyId !== undefined && job.apiKeyId !== byKeyId) return { kind: 'not-owner' };
    return { kind: 'conflict', status: job.status };
  }

  private findJob(id: string, tenant?: string): Promise<JobEntity | null> {
    return connected(this.dataSource)
      .getRepository(JobEntity)
      .findOneBy(tenant === undefined ? { id } : { id, tenant });
  }

  /**
   * Undoes the claim of jobs a stopping worker gives back unfinished: back
   * to `queued`, the attempt not spent. A job whose effect is committing at
   * this very moment (its row locked) is skipped: it completes, or its
   * attempt stays spent. Returns how many were given back.
   */
  async returnAttempts(ids: readonly string[]): Promise<number> {
    const rows = await this.rows<{ id: string }>(
      `WITH free AS (
         SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND status = '${JobStatus.Processing}' AND attempts > 0 FOR UPDATE SKIP LOCKED
       )
       UPDATE jobs SET attempts = jobs.attempts - 1, status = '${JobStatus.Queued}', updated_at = now()
       FROM free WHERE jobs.id = free.id RETURNING jobs.id`,
      [ids],
    );
    return rows.length;
  }

  /**
   * Puts every unfinished job back to `queued` and unpublished, so that the
   * relay publishes it again. Only for a broker that loses its messages with
   * the process (the embedded mode's in-process queue), at start, before any
   * worker runs: a RabbitMQ deployment has the messages still.
   */
  async requeueUnfinished(): Promise<number> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE jobs SET status = '${JobStatus.Queued}', published_at = NULL, updated_at = now()
       WHERE status IN (${RUNNABLE}) RETURNING id`,
      [],
    );
    return rows.length;
  }

  /** Jobs accepted but not yet confirmed by the broker (the relay's backlog). */
  async countUnpublished(): Promise<number> {
    const [row] = await connected(this.dataSource).query(`SELECT count(*)::int AS backlog FROM jobs WHERE published_at IS NULL AND status = '${JobStatus.Queued}'`);
    return row.backlog;
  }

  /** Notes that the broker confirmed these jobs, so the relay does not publish them again. */
  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await connected(this.dataSource).query(`UPDATE jobs SET published_at = now() WHERE id = ANY($1::uuid[]) AND published_at IS NULL`, [ids]);
  }

  /**
   * Hands the oldest unpublished jobs to `publish` and marks the ones it
   * returns as published, in one transaction whose row locks (SKIP LOCKED)
   * keep other API replicas from publishing the same jobs at the same time.
   * `minAgeMs` leaves just-accepted jobs to the process that accepted them.
   */
  async relayUnpublished(limit: number, minAgeMs: number, publish: (jobs: UnpublishedJob[]) => Promise<string[]>): Promise<number> {
    return connected(this.dataSource).transaction(async (manager) => {
      const rows: Array<{ id: string; type: JobType; payload: object; correlation_id: string | null; attempts: number }> =
        await manager.query(
          `SELECT id, type, payload, correlation_id, attempts FROM jobs
           WHERE published_at IS NULL AND status = '${JobStatus.Queued}' AND created_at < now() - make_interval(secs => $2::double precision / 1000)
           ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [limit, minAgeMs],
        );
      if (rows.length === 0) return 0;
      const published = await publish(
        rows.map((row) => ({ id: row.id, type: row.type, payload: row.payload, correlationId: row.correlation_id, attempts: row.attempts })),
      );
      if (published.length > 0) {
        await manager.query(`UPDATE jobs SET published_at = now() WHERE id = ANY($1::uuid[])`, [published]);
      }
      return rows.length;
    });
  }

  /**
   * The rows a statement returns, whatever its command (TypeORM's `query()`
   * answers UPDATE with `[rows, rowCount]`). Straight on the pg pool: these
   * run once or more per job. A `name` makes it a prepared statement.
   */
  private async rows<T>(sql: string, parameters: unknown[], name?: string): Promise<T[]> {
    return (await connectedPool(this.dataSource).query<T & object>({ name, text: sql, values: parameters })).rows;
  }

  /**
   * Applies a job's effect exactly once: under the job's row lock, runs
   * `effect` and marks the job completed with its result, in one
   * transaction. A job that is already finished is left alone. A worker
   * runs this for every job: its statements are named (prepared) and skip
   * TypeORM's query layer, which would cost more than they do.
   */
  completeWith<R extends object>(jobId: string, effect: (sql: EffectSql, job: EffectJob) => Promise<R>): Promise<EffectOutcome<R>> {
    return this.underJobLock(jobId, effect, true);
  }

  /**
   * Commits a first part of a job's effect that the rest builds on (an
   * invoice's number, which its PDF prints), under the job's row lock, as
   * completeWith does, but leaves the job running: completeWith finishes it.
   * `step` must find its own earlier commit on a later delivery and return
   * it, so that a retried job carries on from it. Not applied when the job
   * is already finished.
   */
  prepareWith<R>(jobId: string, step: (sql: EffectSql, job: EffectJob) => Promise<R>): Promise<EffectOutcome<R>> {
    return this.underJobLock(jobId, step, false);
  }

  private async underJobLock<R>(jobId: string, work: (sql: EffectSql, job: EffectJob) => Promise<R>, complete: boolean): Promise<EffectOutcome<R>> {
    // The connection comes through a query runner so that closing the
    // DataSource at shutdown cuts a transaction still under way (PostgreSQL
    // rolls it back): a job given back is never half-applied behind its
    // next delivery. The statements themselves go straight to the pg client.
    const runner = connected(this.dataSource).createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      await client.query('BEGIN');
      try {
        const {
          rows: [job],
        } = await client.query<{ status: JobStatus; tenant: string }>({ name: 'baton-lock-job', text: `SELECT status, tenant FROM jobs WHERE id = $1 FOR UPDATE`, values: [jobId] });
        if (!job || !RUNNABLE_STATUSES.includes(job.status)) {
          await client.query('ROLLBACK');
          return { applied: false };
        }
        const result = await work({ query: async (text, values) => (await client.query(text, values)).rows }, { id: jobId, tenant: job.tenant });
        if (complete) await client.query({ name: 'baton-complete-job', text: COMPLETE_JOB, values: [jobId, result] });
        await client.query('COMMIT');
        return { applied: true, result };
      } catch (error) {
        // A connection too broken to roll back is dropped by the runner (it listens for the client's errors).
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}

const COMPLETE_JOB = `UPDATE jobs SET status = '${JobStatus.Completed}', result = $2, last_error = NULL, updated_at = now(), completed_at = now() WHERE id = $1`;

// A cursor is opaque to clients: base64url of the row's position.
function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && /^\d{4}-\d{2}-\d{2} [\d:.]+[+-]\d{2}(:\d{2})?$/.test(at) && isUuid(id)) {
      return { at, id };
    }
  } catch {
    // Not base64url JSON: refused below.
  }
  throw new InvalidCursorError();
}
