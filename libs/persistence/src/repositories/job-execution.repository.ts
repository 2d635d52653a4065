import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { EventType, JobStatus, JobType, jobView, RUNNABLE_STATUSES } from '@baton/contracts';
import { inDatabaseSpan } from '@baton/tracing';
import { connectedPool } from '../database-connector';
import { EffectEvents, EventBatch, recordEventsStatement } from './event-outbox.repository';
import { JOB_RECORD_COLUMNS, jobRecordOf, JobRow, rows, RUNNABLE } from './job-sql';
import { inRunnerTransaction } from './runner-transaction';

/** A job as a worker sees it after taking it: its state after the take. */
export interface ClaimedJob {
  type: JobType;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /** When the API accepted the job. */
  createdAt: Date;
}

/** Why an attempt failed, as the worker caught it. */
export interface AttemptFailure {
  message: string;
  stack?: string;
}

export type EffectOutcome<R> = { applied: true; result: R } | { applied: false };

/** Where an effect runs its statements: the job's transaction. Resolves with the rows. */
export interface EffectSql {
  query<T = any>(text: string, values?: unknown[]): Promise<T[]>;
}

/** The job an effect is applied for, as its row says (never as its message says). */
export interface EffectJob {
  id: string;
  tenant: string;
  correlationId: string | null;
}

/** An effect: its statements run in the job's transaction; what it returns is the job's result. */
export type Effect<R> = (sql: EffectSql, job: EffectJob, events: EffectEvents) => Promise<R>;

// Bounded so that a job that fails with a huge message (a stack, a dumped
// payload) cannot bloat its row or the API's answer.
export const MAX_ERROR_LENGTH = 4000;
export const MAX_STACK_LENGTH = 4000;
/** Attempt errors kept per job: the most recent ones, which say why it is failing now. */
export const MAX_ATTEMPT_ERRORS = 20;

const COMPLETE_JOB = `UPDATE jobs SET status = '${JobStatus.Completed}', result = $2, last_error = NULL, updated_at = now(), completed_at = now()
  WHERE id = $1 RETURNING ${JOB_RECORD_COLUMNS}`;

/**
 * A job's run in a worker: the worker's JobRunner takes a delivered job,
 * records its failed attempts and gives back the ones it leaves unfinished at
 * shutdown; each job type's repository (libs/jobs: workouts, invoices,
 * emails) applies the job's effect under the job's row lock. Every statement
 * here runs once or more per job.
 */
@Injectable()
export class JobExecutionRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Takes a delivered job: a runnable job becomes `processing` and spends an
   * attempt (a delivery that crashed its worker spent one too). A finished
   * job is returned as it is. Null when no job of that type has that id.
   */
  claim(id: string, type: JobType): Promise<ClaimedJob | null> {
    return inDatabaseSpan('UPDATE', 'jobs', () => this.claimJob(id, type));
  }

  private async claimJob(id: string, type: JobType): Promise<ClaimedJob | null> {
    const [row] = await rows<{ type: JobType; status: JobStatus; attempts: number; max_attempts: number; created_at: Date }>(
      this.dataSource,
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
  recordFailure(id: string, failure: AttemptFailure, final = false): Promise<JobStatus.Failed | JobStatus.Dead | null> {
    return inDatabaseSpan('UPDATE', 'jobs', () => this.recordJobFailure(id, failure, final));
  }

  private async recordJobFailure(id: string, failure: AttemptFailure, final: boolean): Promise<JobStatus.Failed | JobStatus.Dead | null> {
    const message = failure.message.slice(0, MAX_ERROR_LENGTH);
    // One transaction: a job that ends dead records its `job.dead` event with it.
    const client = await connectedPool(this.dataSource).connect();
    try {
      await client.query('BEGIN');
      const {
        rows: [row],
      } = await client.query<JobRow>({
        name: 'baton-record-failure',
        text: `UPDATE jobs SET
           status = CASE WHEN $3 OR attempts >= max_attempts THEN '${JobStatus.Dead}' ELSE '${JobStatus.Failed}' END,
           last_error = $2,
           errors = CASE WHEN jsonb_array_length(errors) >= ${MAX_ATTEMPT_ERRORS} THEN errors - 0 ELSE errors END
             || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                  'attempt', attempts, 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'message', $2::text, 'stack', $4::text))),
           updated_at = now()
         WHERE id = $1 AND status IN (${RUNNABLE})
         RETURNING ${JOB_RECORD_COLUMNS}`,
        values: [id, message, final, failure.stack?.slice(0, MAX_STACK_LENGTH) ?? null],
      });
      const events = row?.status === JobStatus.Dead ? recordEventsStatement([jobEvent(EventType.JobDead, row)]) : null;
      if (events) await client.query(events);
      await client.query('COMMIT');
      return row ? (row.status as JobStatus.Failed | JobStatus.Dead) : null;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Undoes the claim of jobs a stopping worker gives back unfinished: back
   * to `queued`, the attempt not spent. A job whose effect is committing at
   * this very moment (its row locked) is skipped: it completes, or its
   * attempt stays spent. Returns how many were given back.
   */
  async returnAttempts(ids: readonly string[]): Promise<number> {
    const returned = await rows<{ id: string }>(
      this.dataSource,
      `WITH free AS (
         SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND status = '${JobStatus.Processing}' AND attempts > 0 FOR UPDATE SKIP LOCKED
       )
       UPDATE jobs SET attempts = jobs.attempts - 1, status = '${JobStatus.Queued}', updated_at = now()
       FROM free WHERE jobs.id = free.id RETURNING jobs.id`,
      [ids],
    );
    return returned.length;
  }

  /**
   * Applies a job's effect exactly once: under the job's row lock, runs
   * `effect` and marks the job completed with its result, in one
   * transaction. A job that is already finished is left alone. A worker
   * runs this for every job: its statements are named (prepared) and skip
   * TypeORM's query layer, which would cost more than they do.
   */
  completeWith<R extends object>(jobId: string, effect: Effect<R>): Promise<EffectOutcome<R>> {
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
  prepareWith<R>(jobId: string, step: Effect<R>): Promise<EffectOutcome<R>> {
    return this.underJobLock(jobId, step, false);
  }

  private underJobLock<R>(jobId: string, work: Effect<R>, complete: boolean): Promise<EffectOutcome<R>> {
    // One span for the transaction: its statements are the effect's own, whatever the job type.
    return inDatabaseSpan('TRANSACTION', 'jobs', () => this.runUnderJobLock(jobId, work, complete));
  }

  private runUnderJobLock<R>(jobId: string, work: Effect<R>, complete: boolean): Promise<EffectOutcome<R>> {
    return inRunnerTransaction(this.dataSource, async (client) => {
      const {
        rows: [job],
      } = await client.query<{ status: JobStatus; tenant: string; correlation_id: string | null }>({
        name: 'baton-lock-job',
        text: `SELECT status, tenant, correlation_id FROM jobs WHERE id = $1 FOR UPDATE`,
        values: [jobId],
      });
      if (!job || !RUNNABLE_STATUSES.includes(job.status)) return { applied: false };
      const sql = sqlOn(client);
      const source = { id: jobId, tenant: job.tenant, correlationId: job.correlation_id };
      const events = new EventBatch({ tenant: job.tenant, jobId, correlationId: job.correlation_id });
      const result = await work(sql, source, events);
      if (complete) {
        const {
          rows: [completed],
        } = await client.query<JobRow>({ name: 'baton-complete-job', text: COMPLETE_JOB, values: [jobId, result] });
        events.events.push(jobEvent(EventType.JobCompleted, completed));
      }
      const recorded = recordEventsStatement(events.events);
      if (recorded) await client.query(recorded);
      return { applied: true, result };
    });
  }
}

function sqlOn(client: PoolClient): EffectSql {
  return { query: async (text, values) => (await client.query(text, values)).rows };
}

/** A `job.*` event: the job, as `GET /v1/jobs/:id` shows it. */
export function jobEvent(type: EventType, row: JobRow) {
  return { type, tenant: row.tenant, jobId: row.id, correlationId: row.correlation_id, data: jobView(jobRecordOf(row)) };
}
