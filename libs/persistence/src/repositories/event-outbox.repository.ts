import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventEnvelope, EventType } from '@baton/contracts';
import { connected } from '../database-connector';
import type { EffectSql } from './job-execution.repository';

/** An event to record with the effect it describes. */
export interface NewEvent {
  type: EventType;
  tenant: string;
  jobId: string | null;
  correlationId: string | null;
  data: object;
  dataVersion?: number;
}

/** What an effect may say happened, beyond its job's completion: its domain events. */
export interface EffectEvents {
  record(type: EventType, data: object, dataVersion?: number): void;
}

const RECORD_EVENTS = `WITH recorded AS (
     INSERT INTO events (id, type, tenant, job_id, correlation_id, data_version, data)
     SELECT id, type, tenant, job_id, correlation_id, data_version, data
     FROM jsonb_to_recordset($1::jsonb) AS event(id uuid, type text, tenant text, job_id uuid, correlation_id text, data_version integer, data jsonb)
     RETURNING id, type, tenant
   )
   INSERT INTO webhook_deliveries (id, endpoint_id, event_id, tenant, event_type)
   SELECT gen_random_uuid(), endpoint.id, recorded.id, recorded.tenant, recorded.type
   FROM recorded JOIN webhook_endpoints endpoint ON endpoint.tenant = recorded.tenant AND NOT endpoint.disabled
   WHERE recorded.type = ANY(endpoint.events) OR '*' = ANY(endpoint.events) OR split_part(recorded.type, '.', 1) || '.*' = ANY(endpoint.events)`;

/**
 * The statement that records events, and with each one a webhook delivery
 * for every enabled endpoint of its tenant that subscribes to its type (the
 * type, `<prefix>.*` or `*`; see subscriptionMatches), to run in the
 * transaction of the effect they describe: an effect that rolls back takes
 * its events and their deliveries with it. Named, so that a worker's
 * connection parses and plans it once. Null when there is nothing to record.
 */
export function recordEventsStatement(events: readonly NewEvent[]): { name: string; text: string; values: unknown[] } | null {
  if (events.length === 0) return null;
  const rows = events.map((event) => ({
    id: randomUUID(),
    type: event.type,
    tenant: event.tenant,
    job_id: event.jobId,
    correlation_id: event.correlationId,
    data_version: event.dataVersion ?? 1,
    data: event.data,
  }));
  return { name: 'baton-record-events', text: RECORD_EVENTS, values: [JSON.stringify(rows)] };
}

/** Records events as recordEventsStatement says, through a transaction's EffectSql. */
export async function recordEvents(sql: EffectSql, events: readonly NewEvent[]): Promise<void> {
  const statement = recordEventsStatement(events);
  if (statement) await sql.query(statement.text, statement.values);
}

/** Collects an effect's events, to be recorded when it commits. */
export class EventBatch implements EffectEvents {
  readonly events: NewEvent[] = [];

  constructor(private readonly source: { tenant: string; jobId: string; correlationId: string | null }) {}

  record(type: EventType, data: object, dataVersion = 1): void {
    this.events.push({ ...this.source, type, data, dataVersion });
  }
}

export interface EventRow {
  id: string;
  type: EventType;
  tenant: string;
  job_id: string | null;
  correlation_id: string | null;
  data_version: number;
  data: Record<string, unknown>;
  created_at: Date;
}

export const EVENT_COLUMNS = 'id, type, tenant, job_id, correlation_id, data_version, data, created_at';

/** A stored event in its one public shape. */
export function eventEnvelopeOf(row: EventRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    timestamp: new Date(row.created_at).toISOString(),
    tenant: row.tenant,
    jobId: row.job_id,
    correlationId: row.correlation_id,
    dataVersion: row.data_version,
    data: row.data,
  };
}

/**
 * The events on their way out: the relay in the API hands the ones not yet
 * confirmed by the broker to `baton.events`, and the webhook deliveries
 * that are due to the delivery workers' queue.
 */
@Injectable()
export class EventOutboxRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Hands the oldest unpublished events to `publish` and marks the ones it
   * returns as published, in one transaction whose row locks (SKIP LOCKED)
   * keep other API replicas from publishing the same events at once.
   * Returns how many were handed over.
   */
  relayEvents(limit: number, publish: (events: EventEnvelope[]) => Promise<string[]>): Promise<number> {
    return connected(this.dataSource).transaction(async (manager) => {
      const rows: EventRow[] = await manager.query(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const published = await publish(rows.map(eventEnvelopeOf));
      if (published.length > 0) await manager.query(`UPDATE events SET published_at = now() WHERE id = ANY($1::uuid[])`, [published]);
      return rows.length;
    });
  }

  /** Hands the webhook deliveries that are due to `publish` and marks the ones it returns as published, as relayEvents does. */
  relayDueDeliveries(limit: number, publish: (deliveryIds: string[]) => Promise<string[]>): Promise<number> {
    return connected(this.dataSource).transaction(async (manager) => {
      const rows: Array<{ id: string }> = await manager.query(
        `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND published_at IS NULL AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const published = await publish(rows.map((row) => row.id));
      if (published.length > 0) await manager.query(`UPDATE webhook_deliveries SET published_at = now() WHERE id = ANY($1::uuid[])`, [published]);
      return rows.length;
    });
  }

  /** Events not yet confirmed by the broker (the relay's event backlog). */
  async countUnpublished(): Promise<number> {
    const [row] = await connected(this.dataSource).query(`SELECT count(*)::int AS backlog FROM events WHERE published_at IS NULL`);
    return row.backlog;
  }
}
