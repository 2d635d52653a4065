import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { inDatabaseSpan, TraceContext } from '@baton/tracing';
import { connected, connectedPool } from '../database-connector';
import { insertRows } from './multi-row-insert';

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
  /** The submission's options as sent. */
  options?: object;
  /** When it is due: a job with a runAt still ahead is stored `scheduled`, any other `queued`. */
  runAt?: Date | null;
  /** The schedule and tick that created it. */
  scheduleId?: string;
  scheduledFor?: Date;
  /** The submitting request's trace context, which the job's messages continue. */
  traceContext?: TraceContext | null;
}

export type InsertOutcome =
  | { kind: 'created'; status: JobStatus.Queued | JobStatus.Scheduled }
  /** The idempotency key was used before with the same request: the earlier job stands. */
  | { kind: 'replayed'; jobId: string; status: JobStatus }
  /** The idempotency key was used before with a different request. */
  | { kind: 'conflict' };

/** A job the relay still has to hand to the broker. */
export interface UnpublishedJob {
  id: string;
  type: JobType;
  payload: object;
  correlationId: string | null;
  attempts: number;
  traceContext: TraceContext | null;
}

/**
 * Jobs on their way in: the API records an accepted job (JobSubmissionService)
 * and hands it to the broker, publishing at once or through the relay's sweep
 * (JobRelay), whose backlog it samples as a metric (http-setup). The operators'
 * CLI marks the jobs it publishes itself (`jobs retry`, `dlq replay`).
 */
@Injectable()
export class JobIntakeRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Records an accepted job. With an idempotency key, a second insert returns the first job instead. */
  insert(job: NewJob): Promise<InsertOutcome> {
    return inDatabaseSpan('INSERT', 'jobs', () => this.insertJob(job));
  }

  private async insertJob(job: NewJob): Promise<InsertOutcome> {
    const status = initialStatus(job);
    const values = rowOf(job, status);
    if (job.idempotencyKey === undefined) {
      await connectedPool(this.dataSource).query({ name: 'baton-insert-job', text: INSERT_JOB, values });
      return { kind: 'created', status };
    }
    // Two attempts: the first job with this key might be deleted between our
    // conflicting insert and the look-up that follows it.
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await connectedPool(this.dataSource).query({
        name: 'baton-insert-idempotent-job',
        text: `${INSERT_JOB} ${ON_KEY_CONFLICT}`,
        values,
      });
      if (inserted.rows.length > 0) return { kind: 'created', status };
      const [earlier]: KeyHolder[] = await connected(this.dataSource).query(
        `SELECT ${KEY_HOLDER_COLUMNS} FROM jobs WHERE tenant = $1 AND idempotency_key = $2`,
        [job.tenant, job.idempotencyKey],
      );
      if (earlier) return againstEarlier(job, earlier);
    }
    return { kind: 'conflict' };
  }

  /**
   * Records the jobs of a batch in one transaction, with one multi-row
   * insert, and answers each in order as insert() would: a job whose key an
   * earlier job holds (one stored before, or one earlier in the batch) is
   * `replayed` or a `conflict`, and is not stored.
   */
  async insertBatch(jobs: readonly NewJob[]): Promise<InsertOutcome[]> {
    if (jobs.length === 0) return [];
    return inDatabaseSpan('INSERT', 'jobs', () => this.insertJobs(jobs));
  }

  private async insertJobs(jobs: readonly NewJob[]): Promise<InsertOutcome[]> {
    const statuses = new Map(jobs.map((job) => [job.id, initialStatus(job)]));
    const keyOf = (job: { tenant: string; idempotencyKey?: string | null }) => (job.idempotencyKey == null ? undefined : `${job.tenant}\n${job.idempotencyKey}`);
    const firstWithKey = new Map<string, NewJob>();
    for (const job of jobs) {
      const key = keyOf(job);
      if (key !== undefined && !firstWithKey.has(key)) firstWithKey.set(key, job);
    }
    // Keys in one order for every batch: two batches sharing keys, each
    // waiting on the other's uncommitted row, would otherwise deadlock.
    const keyed = [...firstWithKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, job]) => job);
    return connected(this.dataSource).transaction(async (manager) => {
      const sql = { query: (text: string, values?: unknown[]) => manager.query(text, values) };
      const created = new Set<string>();
      const holders = new Map<string, KeyHolder>();
      let offered = [...jobs.filter((job) => keyOf(job) === undefined), ...keyed];
      // Two attempts, as insert() makes: a first job might be deleted between the conflict and the look-up.
      for (let attempt = 0; attempt < 2 && offered.length > 0; attempt++) {
        const inserted = await insertRows<{ id: string }>(sql, 'jobs', JOB_COLUMNS, offered.map((job) => rowOf(job, statuses.get(job.id)!)), ON_KEY_CONFLICT);
        for (const { id } of inserted) created.add(id);
        const refused = jobs.filter((job) => !created.has(job.id));
        if (refused.length === 0) break;
        const found: KeyHolder[] = await manager.query(
          `SELECT ${KEY_HOLDER_COLUMNS} FROM jobs
           WHERE (tenant, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [refused.map((job) => job.tenant), refused.map((job) => job.idempotencyKey)],
        );
        for (const holder of found) holders.set(keyOf({ tenant: holder.tenant, idempotencyKey: holder.idempotency_key })!, holder);
        offered = keyed.filter((job) => !created.has(job.id) && !holders.has(keyOf(job)!));
      }
      return jobs.map((job): InsertOutcome => {
        if (created.has(job.id)) return { kind: 'created', status: statuses.get(job.id)! };
        const holder = holders.get(keyOf(job)!);
        return holder ? againstEarlier(job, holder) : { kind: 'conflict' };
      });
    });
  }

  /**
   * Hands the delayed jobs that are due, oldest due first, to `publish`: in
   * one transaction they turn `queued` and the ones `publish` returns are
   * marked published. Selected by their due time alone, so none waits for
   * the grace the sweep of unconfirmed jobs gives; row locks (SKIP LOCKED)
   * keep two API replicas from publishing the same job. A worker's claim of
   * a job published here waits for the commit on the row lock, then finds it
   * `queued`. A job the broker did not confirm stays `queued` and
   * unpublished, for relayUnpublished.
   */
  async relayDue(limit: number, publish: (jobs: UnpublishedJob[]) => Promise<string[]>): Promise<number> {
    return connected(this.dataSource).transaction(async (manager) => {
      const rows: RelayedRow[] = await manager.query(
        `WITH due AS (
           SELECT id FROM jobs WHERE status = '${JobStatus.Scheduled}' AND run_at <= now() ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED
         ), queued AS (
           UPDATE jobs SET status = '${JobStatus.Queued}', updated_at = now() FROM due WHERE jobs.id = due.id
           RETURNING jobs.id, jobs.type, jobs.payload, jobs.correlation_id, jobs.attempts, jobs.trace_context, jobs.run_at
         ) SELECT ${RELAYED_COLUMNS} FROM queued ORDER BY run_at`,
        [limit],
      );
      return this.publishRelayed(manager, rows, publish);
    });
  }

  /** When the next delayed job falls due; null when none waits. */
  async nextDue(): Promise<Date | null> {
    const [row] = await connected(this.dataSource).query(`SELECT min(run_at) AS due FROM jobs WHERE status = '${JobStatus.Scheduled}'`);
    return row?.due ?? null;
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
   * `minAgeMs` leaves just-accepted jobs to the process that accepted them,
   * and just-retried ones (a retry sets updated_at) to the process that
   * retried them, the API or the CLI, which publishes them itself.
   */
  async relayUnpublished(limit: number, minAgeMs: number, publish: (jobs: UnpublishedJob[]) => Promise<string[]>): Promise<number> {
    return connected(this.dataSource).transaction(async (manager) => {
      const rows: RelayedRow[] = await manager.query(
        `SELECT ${RELAYED_COLUMNS} FROM jobs
         WHERE published_at IS NULL AND status = '${JobStatus.Queued}' AND updated_at < now() - make_interval(secs => $2::double precision / 1000)
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit, minAgeMs],
      );
      return this.publishRelayed(manager, rows, publish);
    });
  }

  private async publishRelayed(manager: EntityManager, rows: RelayedRow[], publish: (jobs: UnpublishedJob[]) => Promise<string[]>): Promise<number> {
    if (rows.length === 0) return 0;
    const published = await publish(
      rows.map((row) => ({ id: row.id, type: row.type, payload: row.payload, correlationId: row.correlation_id, attempts: row.attempts, traceContext: row.trace_context })),
    );
    if (published.length > 0) {
      await manager.query(`UPDATE jobs SET published_at = now() WHERE id = ANY($1::uuid[])`, [published]);
    }
    return rows.length;
  }
}

interface RelayedRow {
  id: string;
  type: JobType;
  payload: object;
  correlation_id: string | null;
  attempts: number;
  trace_context: TraceContext | null;
}

const RELAYED_COLUMNS = 'id, type, payload, correlation_id, attempts, trace_context';

const JOB_COLUMNS = [
  'id',
  'type',
  'payload',
  'max_attempts',
  'correlation_id',
  'idempotency_key',
  'request_hash',
  'tenant',
  'api_key_id',
  'status',
  'options',
  'run_at',
  'schedule_id',
  'scheduled_for',
  'trace_context',
] as const;

const INSERT_JOB = `INSERT INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`;
const ON_KEY_CONFLICT = 'ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id';

/** A job's values, in the order of JOB_COLUMNS. */
function rowOf(job: NewJob, status: JobStatus): unknown[] {
  return [
    job.id,
    job.type,
    job.payload,
    job.maxAttempts,
    job.correlationId,
    job.idempotencyKey ?? null,
    job.requestHash ?? null,
    job.tenant,
    job.apiKeyId ?? null,
    status,
    job.options ?? null,
    job.runAt ?? null,
    job.scheduleId ?? null,
    job.scheduledFor ?? null,
    job.traceContext ?? null,
  ];
}

/** The job that holds an idempotency key. */
const KEY_HOLDER_COLUMNS = 'id, status, request_hash, tenant, idempotency_key';
interface KeyHolder {
  id: string;
  status: JobStatus;
  request_hash: string | null;
  tenant: string;
  idempotency_key: string;
}

/** A job whose key `earlier` holds: the same request again, or another one under the same key. */
function againstEarlier(job: NewJob, earlier: KeyHolder): InsertOutcome {
  return earlier.request_hash === job.requestHash ? { kind: 'replayed', jobId: earlier.id, status: earlier.status } : { kind: 'conflict' };
}

function initialStatus(job: NewJob): JobStatus.Queued | JobStatus.Scheduled {
  return job.runAt && job.runAt.getTime() > Date.now() ? JobStatus.Scheduled : JobStatus.Queued;
}
