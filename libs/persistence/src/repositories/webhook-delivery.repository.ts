import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventEnvelope, EventType } from '@baton/contracts';
import { connected } from '../database-connector';
import { EVENT_COLUMNS, eventEnvelopeOf, EventRow } from './event-outbox.repository';
import { rows } from './job-sql';
import { decodeCursor, encodeCursor } from './page-cursor';

export enum WebhookDeliveryStatus {
  Pending = 'pending',
  Succeeded = 'succeeded',
  /** Its schedule ran out, or its endpoint is gone or disabled. */
  Failed = 'failed',
}

export const WEBHOOK_DELIVERY_STATUSES: readonly WebhookDeliveryStatus[] = Object.values(WebhookDeliveryStatus);

/** One attempt of a delivery, as stored and shown. */
export interface StoredWebhookAttempt {
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

export interface WebhookDelivery {
  id: string;
  tenant: string;
  endpointId: string;
  eventId: string;
  eventType: EventType;
  status: WebhookDeliveryStatus;
  attempts: StoredWebhookAttempt[];
  nextAttemptAt: Date | null;
  createdAt: Date;
}

/** A delivery taken by a worker: what it sends, where, signed with which secrets. */
export interface ClaimedWebhookDelivery {
  id: string;
  /** Which attempt of its schedule this is (1 for the first). */
  attempt: number;
  event: EventEnvelope;
  endpoint: { id: string; url: string; disabled: boolean; secrets: string[] };
}

/** How an attempt ended for the delivery. */
export type WebhookAttemptOutcome =
  | { status: WebhookDeliveryStatus.Succeeded }
  | { status: WebhookDeliveryStatus.Failed; disableEndpoint?: string }
  | { status: WebhookDeliveryStatus.Pending; retryInSec: number };

export interface WebhookDeliveryFilter {
  /** Only this tenant's deliveries; every tenant's when absent (the operators' CLI). */
  tenant?: string;
  endpointId?: string;
  status?: WebhookDeliveryStatus;
}

export type ReplayOutcome = { kind: 'replayed'; delivery: WebhookDelivery } | { kind: 'not-found' } | { kind: 'pending' } | { kind: 'endpoint-disabled' };

/** Attempts kept per delivery: the most recent ones. */
export const MAX_STORED_ATTEMPTS = 50;

interface DeliveryRow {
  id: string;
  tenant: string;
  endpoint_id: string;
  event_id: string;
  event_type: EventType;
  status: WebhookDeliveryStatus;
  attempts: StoredWebhookAttempt[];
  next_attempt_at: Date;
  created_at: Date;
  position: string;
}

const DELIVERY_COLUMNS = 'id, tenant, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, created_at::text AS position';

const deliveryOf = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  tenant: row.tenant,
  endpointId: row.endpoint_id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === WebhookDeliveryStatus.Pending ? row.next_attempt_at : null,
  createdAt: row.created_at,
});

/**
 * Webhook deliveries: the delivery workers claim and settle them; the API
 * lists and replays them. A delivery waits for its next attempt in
 * PostgreSQL (`next_attempt_at`), from where the relay publishes it when it
 * is due.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Takes a due delivery for one attempt. The claim unpublishes it and
   * makes it due again only after `leaseSec`: should the worker die during
   * the attempt, the relay publishes it once more then. A second copy of the
   * message finds it not due and is dropped (null). Null too for a delivery
   * that is no longer pending, or gone with its endpoint.
   *
   * Due, not published: the relay marks a delivery published only after the
   * broker confirmed it, and its message can reach a worker before that
   * commits. A row that matches the claim in the worker's snapshot waits for
   * the relay's lock and is then claimed; one that did not match (not yet
   * published) would be skipped, and its message lost.
   */
  async claim(id: string, leaseSec: number): Promise<ClaimedWebhookDelivery | null> {
    const [row] = await rows<EventRow & { delivery_id: string; attempt: number; endpoint_id: string; url: string; disabled: boolean; secrets: string[] }>(
      connected(this.dataSource),
      `WITH claimed AS (
         UPDATE webhook_deliveries SET scheduled_attempts = scheduled_attempts + 1, published_at = NULL,
           next_attempt_at = now() + make_interval(secs => $2::double precision), updated_at = now()
         WHERE id = $1 AND status = '${WebhookDeliveryStatus.Pending}' AND next_attempt_at <= now()
         RETURNING id, scheduled_attempts, endpoint_id, event_id
       )
       SELECT claimed.id AS delivery_id, claimed.scheduled_attempts AS attempt, endpoint.id AS endpoint_id, endpoint.url, endpoint.disabled,
         array_remove(ARRAY[endpoint.secret, CASE WHEN endpoint.previous_secret_expires_at > now() THEN endpoint.previous_secret END], NULL) AS secrets,
         ${EVENT_COLUMNS.split(', ').map((column) => `event.${column}`).join(', ')}
       FROM claimed JOIN webhook_endpoints endpoint ON endpoint.id = claimed.endpoint_id JOIN events event ON event.id = claimed.event_id`,
      [id, leaseSec],
    );
    if (!row) return null;
    return {
      id: row.delivery_id,
      attempt: row.attempt,
      event: eventEnvelopeOf(row),
      endpoint: { id: row.endpoint_id, url: row.url, disabled: row.disabled, secrets: row.secrets },
    };
  }

  /**
   * Records an attempt and what follows it: done, failed for good (and,
   * for a 410, the endpoint disabled), or pending until its next attempt.
   * Only for the claim that made the attempt (`attempt`): a claim whose
   * lease ran out and was claimed again records nothing. Returns whether
   * the endpoint was disabled by this call.
   */
  async settle(claim: ClaimedWebhookDelivery, attempt: StoredWebhookAttempt, outcome: WebhookAttemptOutcome): Promise<{ recorded: boolean; endpointDisabled: boolean }> {
    return connected(this.dataSource).transaction(async (manager) => {
      const settled: Array<{ id: string }> = await manager.query(
        `WITH settled AS (
           UPDATE webhook_deliveries SET
             attempts = CASE WHEN jsonb_array_length(attempts) >= ${MAX_STORED_ATTEMPTS} THEN attempts - 0 ELSE attempts END || jsonb_build_array($3::jsonb),
             status = $4,
             next_attempt_at = CASE WHEN $4 = '${WebhookDeliveryStatus.Pending}' THEN now() + make_interval(secs => $5::double precision) ELSE next_attempt_at END,
             published_at = NULL,
             updated_at = now()
           WHERE id = $1 AND scheduled_attempts = $2 AND status = '${WebhookDeliveryStatus.Pending}'
           RETURNING id
         ) SELECT id FROM settled`,
        [claim.id, claim.attempt, JSON.stringify(attempt), outcome.status, outcome.status === WebhookDeliveryStatus.Pending ? outcome.retryInSec : 0],
      );
      if (settled.length === 0) return { recorded: false, endpointDisabled: false };
      if (outcome.status !== WebhookDeliveryStatus.Failed || outcome.disableEndpoint === undefined) return { recorded: true, endpointDisabled: false };
      const disabled: Array<{ id: string }> = await manager.query(
        `WITH disabled AS (
           UPDATE webhook_endpoints SET disabled = true, disabled_reason = $2, updated_at = now() WHERE id = $1 AND NOT disabled RETURNING id
         ) SELECT id FROM disabled`,
        [claim.endpoint.id, outcome.disableEndpoint],
      );
      return { recorded: true, endpointDisabled: disabled.length > 0 };
    });
  }

  /** The tenant's deliveries, newest first, a page at a time (the cursor as for jobs). */
  async list(filter: WebhookDeliveryFilter, limit: number, cursor?: string): Promise<{ deliveries: WebhookDelivery[]; nextCursor: string | null }> {
    const after = cursor === undefined ? null : decodeCursor(cursor);
    const found = await rows<DeliveryRow>(
      connected(this.dataSource),
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
       WHERE ($1::text IS NULL OR tenant = $1) AND ($2::uuid IS NULL OR endpoint_id = $2) AND ($3::text IS NULL OR status = $3)
         AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $6`,
      [filter.tenant ?? null, filter.endpointId ?? null, filter.status ?? null, after?.at ?? null, after?.id ?? null, limit + 1],
    );
    const page = found.slice(0, limit);
    const last = page.at(-1);
    return { deliveries: page.map(deliveryOf), nextCursor: found.length > limit && last ? encodeCursor(last.position, last.id) : null };
  }

  /**
   * Makes every pending delivery's message owed again: for a broker that
   * loses its messages with the process (the embedded mode), at start.
   * Returns how many.
   */
  async unpublishPending(): Promise<number> {
    const unpublished = await rows<{ id: string }>(
      this.dataSource,
      `UPDATE webhook_deliveries SET published_at = NULL, next_attempt_at = LEAST(next_attempt_at, now()) WHERE status = '${WebhookDeliveryStatus.Pending}' AND published_at IS NOT NULL RETURNING id`,
      [],
    );
    return unpublished.length;
  }

  /** The deliveries of a job's events (job.completed, job.dead...), oldest first; the tenant's only, or every tenant's when absent. */
  async forJob(jobId: string, tenant?: string): Promise<WebhookDelivery[]> {
    const found = await rows<DeliveryRow>(
      connected(this.dataSource),
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
       WHERE event_id IN (SELECT id FROM events WHERE job_id = $1) AND ($2::text IS NULL OR tenant = $2)
       ORDER BY created_at, id LIMIT 100`,
      [jobId, tenant ?? null],
    );
    return found.map(deliveryOf);
  }

  async find(id: string, tenant: string): Promise<WebhookDelivery | null> {
    const [row] = await rows<DeliveryRow>(connected(this.dataSource), `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND tenant = $2`, [id, tenant]);
    return row ? deliveryOf(row) : null;
  }

  /**
   * Sends a finished delivery again: pending, due now, its schedule from
   * the start, its earlier attempts kept. Same webhook-id, so a receiver
   * that took it before can tell.
   */
  async replay(id: string, tenant?: string): Promise<ReplayOutcome> {
    const [row] = await rows<DeliveryRow>(
      connected(this.dataSource),
      `WITH replayed AS (
         UPDATE webhook_deliveries delivery SET status = '${WebhookDeliveryStatus.Pending}', scheduled_attempts = 0, next_attempt_at = now(), published_at = NULL, updated_at = now()
         FROM webhook_endpoints endpoint
         WHERE delivery.id = $1 AND ($2::text IS NULL OR delivery.tenant = $2) AND delivery.status <> '${WebhookDeliveryStatus.Pending}'
           AND endpoint.id = delivery.endpoint_id AND NOT endpoint.disabled
         RETURNING delivery.*
       ) SELECT ${DELIVERY_COLUMNS} FROM replayed`,
      [id, tenant ?? null],
    );
    if (row) return { kind: 'replayed', delivery: deliveryOf(row) };
    const [found] = await rows<{ status: WebhookDeliveryStatus; disabled: boolean }>(
      connected(this.dataSource),
      `SELECT delivery.status, endpoint.disabled FROM webhook_deliveries delivery JOIN webhook_endpoints endpoint ON endpoint.id = delivery.endpoint_id
       WHERE delivery.id = $1 AND ($2::text IS NULL OR delivery.tenant = $2)`,
      [id, tenant ?? null],
    );
    if (!found) return { kind: 'not-found' };
    return found.status === WebhookDeliveryStatus.Pending ? { kind: 'pending' } : { kind: 'endpoint-disabled' };
  }
}
