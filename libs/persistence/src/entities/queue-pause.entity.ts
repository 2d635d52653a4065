import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A paused queue: its workers take no new deliveries from it until it is resumed (the row deleted). */
@Entity({ name: 'queue_pauses' })
export class QueuePauseEntity {
  /** A worker queue's name: a job type, or `webhooks`. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'queue_pauses_pkey' })
  queue: string;

  @Column('timestamptz', { name: 'paused_at', default: () => 'now()' })
  pausedAt: Date;

  /** Who paused it: an API key's id, or `cli`. */
  @Column('text', { name: 'paused_by' })
  pausedBy: string;
}
