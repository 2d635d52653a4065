import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { ExpiringStatus, isExpiringStatus, JobType } from '@baton/contracts';
import { connectedPool } from '../database-connector';
import { inRunnerTransaction } from './runner-transaction';

/** Which finished jobs to delete. */
export interface ExpiryCriteria {
  type: JobType;
  status: ExpiringStatus;
  /** Only jobs that finished (were last updated) longer ago than this. */
  olderThanSec: number;
  /** Only this tenant's jobs; every tenant's when absent. */
  tenant?: string;
}

/** A job retention deleted: whose, for the read cache to drop. */
export interface ExpiredJob {
  id: string;
  tenant: string;
}

// Any constant shared by every Baton process: with the job type's hash, it
// names the advisory lock that keeps two processes from sweeping one type
// at once (the migrations' lock is 72_616_001, in the one-key space).
const RETENTION_LOCK_CLASS = 72_616_002;

/**
 * Retention: the worker's sweep (JobRetentionSweep) and the CLI's
 * `jobs purge` delete finished jobs in bounded batches, leaving a tombstone
 * for each; the API's `GET /v1/jobs/:id` reads the tombstones to tell an
 * expired job (410) from one that never was (404).
 */
@Injectable()
export class JobRetentionRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Deletes at most `limit` of the oldest jobs that match, with their
   * idempotency keys, and writes their tombstones, in one short transaction.
   * Returns the jobs it deleted (committed), or null when another process holds the
   * type's retention lock (it is sweeping the type now). Rows some other
   * transaction holds (a retry, a cancellation) are skipped, never waited on.
   */
  async expireBatch(criteria: ExpiryCriteria, limit: number): Promise<ExpiredJob[] | null> {
    // A literal, checked above, so that the planner sees the partial index's predicate hold.
    if (!isExpiringStatus(criteria.status)) throw new Error(`jobs in status ${criteria.status} never expire`);
    return this.underTypeLock(criteria.type, async (client) => {
      const { rows } = await client.query<ExpiredJob>(
        // The batch is a CTE of its own, evaluated once: as `id IN (SELECT ... LIMIT)` the
        // planner may run the sub-select again per row, and the LIMIT then bounds nothing.
        `WITH batch AS (
           SELECT id FROM jobs
           WHERE type = $1 AND status = '${criteria.status}' AND updated_at < now() - make_interval(secs => $2::double precision)
             AND ($3::text IS NULL OR tenant = $3)
           ORDER BY updated_at LIMIT $4 FOR UPDATE SKIP LOCKED
         ), expired AS (
           DELETE FROM jobs USING batch WHERE jobs.id = batch.id
           RETURNING jobs.id, jobs.tenant, jobs.type, jobs.status
         ), tombstones AS (
           INSERT INTO expired_jobs (id, tenant, type, status) SELECT id, tenant, type, status FROM expired ON CONFLICT (id) DO NOTHING
         )
         SELECT id, tenant FROM expired`,
        [criteria.type, criteria.olderThanSec, criteria.tenant ?? null, limit],
      );
      return rows;
    });
  }

  /** Deletes at most `limit` of the type's tombstones older than `olderThanSec`; null while another process sweeps the type. */
  async forgetTombstones(type: JobType, olderThanSec: number, limit: number): Promise<number | null> {
    return this.underTypeLock(type, async (client) => {
      const { rowCount } = await client.query(
        `WITH batch AS (
           SELECT id FROM expired_jobs WHERE type = $1 AND expired_at < now() - make_interval(secs => $2::double precision)
           ORDER BY expired_at LIMIT $3 FOR UPDATE SKIP LOCKED
         ) DELETE FROM expired_jobs USING batch WHERE expired_jobs.id = batch.id`,
        [type, olderThanSec, limit],
      );
      return rowCount ?? 0;
    });
  }

  /** Whether this tenant's job with this id was deleted by retention (and its tombstone is still kept). */
  async isExpired(id: string, tenant: string): Promise<boolean> {
    const { rows } = await connectedPool(this.dataSource).query({
      name: 'baton-find-expired-job',
      text: `SELECT 1 FROM expired_jobs WHERE id = $1 AND tenant = $2`,
      values: [id, tenant],
    });
    return rows.length > 0;
  }

  /** Runs `work` in a transaction holding the type's retention lock; null, without running it, when another process holds the lock. */
  private underTypeLock<T>(type: JobType, work: (client: PoolClient) => Promise<T>): Promise<T | null> {
    return inRunnerTransaction(this.dataSource, async (client) => {
      const {
        rows: [lock],
      } = await client.query<{ taken: boolean }>(`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK_CLASS}, hashtext($1)) AS taken`, [type]);
      return lock.taken ? work(client) : null;
    });
  }
}
