import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { connectedPool } from '../database-connector';
import { oldestQueuedPerType } from './job-sql';

/** How many of a type's jobs are in each live state (and dead). */
export interface JobTypeCounts {
  type: JobType;
  scheduled: number;
  /** Queued, or failed and waiting for a retry. */
  waiting: number;
  processing: number;
  dead: number;
}

/** Jobs of a type that finished in one minute. */
export interface JobMinute {
  type: JobType;
  /** The minute's start. */
  at: Date;
  completed: number;
  dead: number;
}

/** A type's oldest due, queued job's wait, in seconds; null when none waits. */
export interface OldestWaiting {
  type: JobType;
  ageSeconds: number | null;
}

const COUNTED = [JobStatus.Scheduled, JobStatus.Queued, JobStatus.Failed, JobStatus.Processing, JobStatus.Dead];

/**
 * The numbers the dashboard's overview shows, for one tenant or (with
 * `tenant` absent, an operator) for all. Each reads an index made for it:
 * counts the (tenant,) status indexes, throughput jobs_finished_idx, the
 * oldest wait jobs_pending_due_idx.
 */
@Injectable()
export class JobStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async counts(types: readonly JobType[], tenant?: string): Promise<JobTypeCounts[]> {
    const { rows } = await connectedPool(this.dataSource).query<{ type: JobType; status: JobStatus; count: number }>(
      `SELECT type, status, count(*)::int AS count FROM jobs
       WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR tenant = $2)
       GROUP BY type, status`,
      [COUNTED, tenant ?? null],
    );
    return types.map((type) => {
      const of = (...statuses: JobStatus[]) => rows.filter((row) => row.type === type && statuses.includes(row.status)).reduce((sum, row) => sum + row.count, 0);
      return { type, scheduled: of(JobStatus.Scheduled), waiting: of(JobStatus.Queued, JobStatus.Failed), processing: of(JobStatus.Processing), dead: of(JobStatus.Dead) };
    });
  }

  /** Completed and dead jobs per type in each of the last `minutes` minutes (this one included), oldest first, zeros filled in. */
  async throughput(types: readonly JobType[], minutes: number, tenant?: string): Promise<JobMinute[]> {
    const { rows } = await connectedPool(this.dataSource).query<JobMinute>(
      `WITH minutes AS (
         SELECT generate_series(date_trunc('minute', now()) - make_interval(mins => $2 - 1), date_trunc('minute', now()), interval '1 minute') AS at)
       SELECT t.type, m.at,
              count(j.*) FILTER (WHERE j.status = '${JobStatus.Completed}')::int AS completed,
              count(j.*) FILTER (WHERE j.status = '${JobStatus.Dead}')::int AS dead
       FROM unnest($1::text[]) AS t(type) CROSS JOIN minutes m
       LEFT JOIN jobs j ON j.type = t.type AND j.status IN ('${JobStatus.Completed}', '${JobStatus.Dead}')
         AND j.updated_at >= m.at AND j.updated_at < m.at + interval '1 minute' AND ($3::text IS NULL OR j.tenant = $3)
       GROUP BY t.type, m.at ORDER BY t.type, m.at`,
      [types, minutes, tenant ?? null],
    );
    return rows;
  }

  /** For each type, how long its oldest due, queued job (of the tenant, or of any) has waited. */
  async oldestWaiting(types: readonly JobType[], tenant?: string): Promise<OldestWaiting[]> {
    const { rows } = await connectedPool(this.dataSource).query<OldestWaiting>(
      // greatest() ignores a null: none waiting stays null, not 0.
      `SELECT t.type, CASE WHEN oldest.due IS NULL THEN NULL ELSE greatest(0, extract(epoch FROM now() - oldest.due))::float8 END AS "ageSeconds"
       ${oldestQueuedPerType('AND ($2::text IS NULL OR j.tenant = $2)')}`,
      [types, tenant ?? null],
    );
    return rows;
  }
}
