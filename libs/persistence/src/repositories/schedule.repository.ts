import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { connected } from '../database-connector';
import { rows } from './job-sql';

/** A tenant's recurring schedule. */
export interface Schedule {
  id: string;
  tenant: string;
  name: string;
  cron: string;
  timezone: string;
  type: JobType;
  payload: Record<string, unknown>;
  paused: boolean;
  /** The first tick no job was created for yet. */
  nextRunAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewSchedule {
  tenant: string;
  name: string;
  cron: string;
  timezone: string;
  type: JobType;
  payload: object;
  nextRunAt: Date;
}

/** What changes; `nextRunAt` absent keeps the time the schedule has. */
export interface ScheduleChanges {
  cron?: string;
  timezone?: string;
  payload?: object;
  paused?: boolean;
  nextRunAt?: Date | null;
}

/** What one pass makes of a due schedule: the ticks to create jobs for, and its next tick (null: none ever, which pauses it). */
export interface ScheduleTicks {
  ticks: Date[];
  nextRunAt: Date | null;
}

/** A job a tick created, as the relay publishes it. */
export interface ScheduledJob {
  id: string;
  type: JobType;
  tenant: string;
  payload: object;
  correlationId: string;
  scheduleId: string;
  scheduledFor: Date;
}

interface ScheduleRow {
  id: string;
  tenant: string;
  name: string;
  cron: string;
  timezone: string;
  type: JobType;
  payload: Record<string, unknown>;
  paused: boolean;
  next_run_at: Date;
  created_at: Date;
  updated_at: Date;
}

const SCHEDULE_COLUMNS = 'id, tenant, name, cron, timezone, type, payload, paused, next_run_at, created_at, updated_at';

const scheduleOf = (row: ScheduleRow): Schedule => ({
  id: row.id,
  tenant: row.tenant,
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  type: row.type,
  payload: row.payload,
  paused: row.paused,
  nextRunAt: row.next_run_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The most schedules one tenant may have: each may create a job every second. */
export const MAX_SCHEDULES_PER_TENANT = 100;

/** The correlation id of the job a tick creates: the schedule and the tick, so that logs lead from a job to its tick. */
export const scheduledCorrelationId = (scheduleId: string, tick: Date): string => `schedule:${scheduleId}:${tick.toISOString()}`;

/**
 * Recurring schedules: managed by a tenant's operators (the API, scoped to
 * a tenant) and the operators' CLI (every tenant), and ticked by the API's
 * ticker.
 */
@Injectable()
export class ScheduleRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Stores a schedule; null when the tenant already has MAX_SCHEDULES_PER_TENANT. */
  async create(schedule: NewSchedule): Promise<Schedule | null> {
    const [row] = await rows<ScheduleRow>(
      this.dataSource,
      `INSERT INTO schedules (id, tenant, name, cron, timezone, type, payload, next_run_at)
       SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::jsonb, $8::timestamptz
       WHERE (SELECT count(*) FROM schedules WHERE tenant = $2) < ${MAX_SCHEDULES_PER_TENANT}
       RETURNING ${SCHEDULE_COLUMNS}`,
      [randomUUID(), schedule.tenant, schedule.name, schedule.cron, schedule.timezone, schedule.type, JSON.stringify(schedule.payload), schedule.nextRunAt],
    );
    return row ? scheduleOf(row) : null;
  }

  /** The tenant's schedules, oldest first; every tenant's when `tenant` is absent (the operators' CLI). */
  async list(tenant?: string): Promise<Schedule[]> {
    const found = await rows<ScheduleRow>(
      this.dataSource,
      `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at, id`,
      [tenant ?? null],
    );
    return found.map(scheduleOf);
  }

  /** A schedule of the tenant; of any tenant when `tenant` is absent. */
  async find(id: string, tenant?: string): Promise<Schedule | null> {
    const [row] = await rows<ScheduleRow>(this.dataSource, `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)`, [id, tenant ?? null]);
    return row ? scheduleOf(row) : null;
  }

  /**
   * Changes a schedule with what `change` makes of it as it stands, its row
   * locked meanwhile: a tick in progress finishes first, and the next one
   * sees the change. Null when there is no such schedule (in the tenant).
   */
  async update(id: string, tenant: string | undefined, change: (current: Schedule) => ScheduleChanges): Promise<Schedule | null> {
    return connected(this.dataSource).transaction(async (manager) => {
      const [current]: ScheduleRow[] = await manager.query(
        `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 AND ($2::text IS NULL OR tenant = $2) FOR UPDATE`,
        [id, tenant ?? null],
      );
      if (!current) return null;
      const changes = change(scheduleOf(current));
      const [[row]]: [ScheduleRow[]] = await manager.query(
        `UPDATE schedules SET cron = COALESCE($2, cron), timezone = COALESCE($3, timezone), payload = COALESCE($4::jsonb, payload),
           paused = COALESCE($5, paused), next_run_at = COALESCE($6, next_run_at), updated_at = now()
         WHERE id = $1
         RETURNING ${SCHEDULE_COLUMNS}`,
        [id, changes.cron ?? null, changes.timezone ?? null, changes.payload === undefined ? null : JSON.stringify(changes.payload), changes.paused ?? null, changes.nextRunAt ?? null],
      );
      return scheduleOf(row);
    });
  }

  /** Removes a schedule (its jobs stay); false when there is no such schedule (in the tenant). */
  async delete(id: string, tenant?: string): Promise<boolean> {
    const deleted = await rows<{ id: string }>(this.dataSource, `DELETE FROM schedules WHERE id = $1 AND ($2::text IS NULL OR tenant = $2) RETURNING id`, [id, tenant ?? null]);
    return deleted.length > 0;
  }

  /**
   * One pass over up to `limit` schedules due at `now`, in one transaction:
   * their rows locked (SKIP LOCKED: another API replica takes the others),
   * `plan` says which ticks to create a job for, each job is inserted with
   * the schedule's id and its tick, and each schedule moves on to its next
   * tick. The unique index on (schedule_id, scheduled_for) is what makes a
   * second job for a tick impossible: should two passes ever plan the same
   * tick (a clock set back, a row lock lost with its session), the second
   * insert does nothing. Answers the jobs created, to publish once committed.
   */
  async createDueJobs<T extends ScheduleTicks>(
    now: Date,
    limit: number,
    maxAttempts: number,
    plan: (schedule: Schedule) => T,
  ): Promise<{ planned: Array<{ schedule: Schedule; plan: T }>; jobs: ScheduledJob[] }> {
    return connected(this.dataSource).transaction(async (manager) => {
      const due: ScheduleRow[] = await manager.query(
        `SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE NOT paused AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      const planned = due.map(scheduleOf).map((schedule) => ({ schedule, plan: plan(schedule) }));
      const ticks = planned.flatMap(({ schedule, plan: { ticks } }) => ticks.map((tick) => ({ scheduleId: schedule.id, tick })));
      let jobs: ScheduledJob[] = [];
      if (ticks.length > 0) {
        const inserted: Array<{ id: string; type: JobType; tenant: string; payload: object; correlation_id: string; schedule_id: string; scheduled_for: Date }> =
          await manager.query(
            `INSERT INTO jobs (id, type, tenant, payload, max_attempts, correlation_id, status, run_at, schedule_id, scheduled_for)
             SELECT tick.job_id, s.type, s.tenant, s.payload, $5, tick.correlation_id, '${JobStatus.Queued}', tick.at, s.id, tick.at
             FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[]) AS tick(job_id, schedule_id, at, correlation_id)
             JOIN schedules s ON s.id = tick.schedule_id
             ON CONFLICT (schedule_id, scheduled_for) WHERE schedule_id IS NOT NULL DO NOTHING
             RETURNING id, type, tenant, payload, correlation_id, schedule_id, scheduled_for`,
            [
              ticks.map(() => randomUUID()),
              ticks.map((each) => each.scheduleId),
              ticks.map((each) => each.tick),
              ticks.map((each) => scheduledCorrelationId(each.scheduleId, each.tick)),
              maxAttempts,
            ],
          );
        jobs = inserted.map((row) => ({
          id: row.id,
          type: row.type,
          tenant: row.tenant,
          payload: row.payload,
          correlationId: row.correlation_id,
          scheduleId: row.schedule_id,
          scheduledFor: row.scheduled_for,
        }));
      }
      if (planned.length > 0) {
        await manager.query(
          `UPDATE schedules s SET next_run_at = COALESCE(next.at, s.next_run_at), paused = s.paused OR next.at IS NULL
           FROM unnest($1::uuid[], $2::timestamptz[]) AS next(id, at) WHERE s.id = next.id`,
          [planned.map(({ schedule }) => schedule.id), planned.map(({ plan: { nextRunAt } }) => nextRunAt)],
        );
      }
      return { planned, jobs };
    });
  }
}
