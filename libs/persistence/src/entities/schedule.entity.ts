import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { JobType } from '@baton/contracts';

/** A recurring schedule: each tick of its cron expression, in its time zone, creates one job. */
@Entity({ name: 'schedules' })
@Index('schedules_due_idx', ['nextRunAt'], { where: 'NOT paused' })
@Index('schedules_tenant_idx', ['tenant', 'createdAt'])
export class ScheduleEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'schedules_pkey' })
  id: string;

  @Column('text')
  tenant: string;

  @Column('text')
  name: string;

  /** 5 fields, or 6 with seconds first, as croner reads them (libs/schedules). */
  @Column('text')
  cron: string;

  /** The IANA time zone the expression is read in. */
  @Column('text')
  timezone: string;

  @Column('text')
  type: JobType;

  /** The payload of every job it creates, validated as the job type's body. */
  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('boolean', { default: false })
  paused: boolean;

  /** The first tick no job was created for yet; recomputed from now at resume and when the cron or zone changes. */
  @Column('timestamptz', { name: 'next_run_at' })
  nextRunAt: Date;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
