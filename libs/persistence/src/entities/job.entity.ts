import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';

/** Why one attempt failed. */
export interface AttemptError {
  attempt: number;
  /** ISO 8601. */
  at: string;
  message: string;
  /** The error's stack, when it had one. */
  stack?: string;
}

@Entity({ name: 'jobs' })
@Index('jobs_idempotency_key_uq', ['tenant', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
@Index('jobs_tenant_created_idx', ['tenant', 'createdAt'])
@Index('jobs_tenant_status_created_idx', ['tenant', 'status', 'createdAt'])
@Index('jobs_unpublished_idx', ['createdAt'], { where: 'published_at IS NULL' })
@Index('jobs_status_created_idx', ['status', 'createdAt'])
// Retention's sweep: the oldest finished jobs of a type and status.
@Index('jobs_finished_idx', ['type', 'status', 'updatedAt'], { where: "status IN ('completed', 'dead', 'cancelled')" })
export class JobEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  type: JobType;

  /** The tenant whose API key submitted the job; only that tenant's keys see it. */
  @Column('text')
  tenant: string;

  /** The API key that submitted the job. */
  @Column('uuid', { name: 'api_key_id', nullable: true })
  apiKeyId: string | null;

  @Column('text', { default: JobStatus.Queued })
  status: JobStatus;

  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('integer', { name: 'max_attempts' })
  maxAttempts: number;

  @Column('jsonb', { nullable: true })
  result: Record<string, unknown> | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  /** The errors of its failed attempts, oldest first; the last MAX_ATTEMPT_ERRORS only. */
  @Column('jsonb', { default: () => "'[]'" })
  errors: AttemptError[];

  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  /** SHA-256 of the job type and the canonical request body, to tell a retry from a reuse of the key. */
  @Column('text', { name: 'request_hash', nullable: true })
  requestHash: string | null;

  @Column('text', { name: 'correlation_id', nullable: true })
  correlationId: string | null;

  /** When the broker confirmed the job's first publish; null while the relay still owes it. */
  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt: Date | null;
}
