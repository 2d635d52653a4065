import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TraceContext } from '@baton/tracing';
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
@Index('jobs_due_idx', ['runAt'], { where: "status = 'scheduled'" })
@Index('jobs_schedule_tick_uq', ['scheduleId', 'scheduledFor'], { unique: true, where: 'schedule_id IS NOT NULL' })
// Retention's sweep: the oldest finished jobs of a type and status.
@Index('jobs_finished_idx', ['type', 'status', 'updatedAt'], { where: "status IN ('completed', 'dead', 'cancelled')" })
// The oldest waiting job of a type (migration 1765000000000): on an
// expression, which TypeORM cannot describe, so the schema sync leaves it be.
@Index('jobs_pending_due_idx', { synchronize: false })
// The dashboard's list and search (migration 1765300000000), across tenants: newest first, by correlation
// id, by idempotency key, and by payload containment, whose GIN operator class TypeORM cannot describe.
@Index('jobs_created_idx', ['createdAt'])
@Index('jobs_correlation_idx', ['correlationId'], { where: 'correlation_id IS NOT NULL' })
@Index('jobs_idempotency_key_idx', ['idempotencyKey'], { where: 'idempotency_key IS NOT NULL' })
@Index('jobs_payload_idx', { synchronize: false })
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

  /** The submission's `options` as sent (runAt, delaySec, idempotencyKey); never part of the payload. */
  @Column('jsonb', { nullable: true })
  options: Record<string, unknown> | null;

  /** When a `scheduled` job is due; null for a job that was queued at once. */
  @Column('timestamptz', { name: 'run_at', nullable: true })
  runAt: Date | null;

  /** The schedule that created the job. */
  @Column('uuid', { name: 'schedule_id', nullable: true })
  scheduleId: string | null;

  /** The schedule's tick the job is for: with scheduleId, unique, so that no tick creates two jobs. */
  @Column('timestamptz', { name: 'scheduled_for', nullable: true })
  scheduledFor: Date | null;

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

  /** The W3C trace context of the request that submitted it, which its messages carry on; null when not traced. */
  @Column('jsonb', { name: 'trace_context', nullable: true })
  traceContext: TraceContext | null;

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
