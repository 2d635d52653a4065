import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';

/**
 * What is left of a job retention deleted: enough to answer `410 Gone` to
 * the tenant that owned it (and `404` to any other), and no payload.
 * Tombstones are deleted in their turn, 90 days later (the worker's
 * JobRetentionSweep, TOMBSTONE_RETENTION_SEC).
 */
@Entity({ name: 'expired_jobs' })
@Index('expired_jobs_type_expired_idx', ['type', 'expiredAt'])
export class ExpiredJobEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  tenant: string;

  @Column('text')
  type: JobType;

  /** The status it was deleted in: completed, dead or cancelled. */
  @Column('text')
  status: JobStatus;

  @Column('timestamptz', { name: 'expired_at', default: () => 'now()' })
  expiredAt: Date;
}
