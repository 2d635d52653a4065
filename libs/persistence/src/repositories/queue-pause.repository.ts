import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { connectedPool } from '../database-connector';

/** A paused queue, as the API and the CLI report it. */
export interface QueuePause {
  queue: string;
  pausedAt: Date;
  pausedBy: string;
}

/**
 * Which worker queues are paused: written by the API and the CLI, polled by
 * every worker process. Pausing a paused queue keeps its first pause (its
 * time and author); resuming a running one does nothing.
 */
@Injectable()
export class QueuePauseRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Pauses the queue, if it is not paused already; returns its pause. */
  async pause(queue: string, pausedBy: string): Promise<QueuePause> {
    const { rows } = await connectedPool(this.dataSource).query<QueuePause>(
      `WITH inserted AS (
         INSERT INTO queue_pauses (queue, paused_by) VALUES ($1, $2) ON CONFLICT (queue) DO NOTHING
         RETURNING queue, paused_at AS "pausedAt", paused_by AS "pausedBy")
       SELECT * FROM inserted
       UNION ALL
       SELECT queue, paused_at, paused_by FROM queue_pauses WHERE queue = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
      [queue, pausedBy],
    );
    return rows[0];
  }

  /** Resumes the queue; true if it was paused. */
  async resume(queue: string): Promise<boolean> {
    const { rowCount } = await connectedPool(this.dataSource).query(`DELETE FROM queue_pauses WHERE queue = $1`, [queue]);
    return (rowCount ?? 0) > 0;
  }

  /** Every paused queue, by name. */
  async paused(): Promise<QueuePause[]> {
    const { rows } = await connectedPool(this.dataSource).query<QueuePause>(
      `SELECT queue, paused_at AS "pausedAt", paused_by AS "pausedBy" FROM queue_pauses ORDER BY queue`,
    );
    return rows;
  }
}
