import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { connected } from '../database-connector';
import { rows } from './job-sql';

/** A tenant's webhook endpoint, without its secrets. */
export interface WebhookEndpoint {
  id: string;
  tenant: string;
  url: string;
  events: string[];
  description: string | null;
  disabled: boolean;
  /** Why Baton disabled it (an endpoint that answered 410); null when enabled, or disabled by the tenant. */
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewWebhookEndpoint {
  tenant: string;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
}

export interface WebhookEndpointChanges {
  events?: string[];
  description?: string | null;
  disabled?: boolean;
}

interface EndpointRow {
  id: string;
  tenant: string;
  url: string;
  events: string[];
  description: string | null;
  disabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const ENDPOINT_COLUMNS = 'id, tenant, url, events, description, disabled, disabled_reason, created_at, updated_at';

const endpointOf = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  tenant: row.tenant,
  url: row.url,
  events: row.events,
  description: row.description,
  disabled: row.disabled,
  disabledReason: row.disabled_reason,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The most endpoints one tenant may register: each event is recorded once per subscribed endpoint. */
export const MAX_ENDPOINTS_PER_TENANT = 50;

/** A tenant's webhook endpoints, as its operators manage them through the API. Every call is scoped to one tenant. */
@Injectable()
export class WebhookEndpointRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Registers an endpoint; null when the tenant already has MAX_ENDPOINTS_PER_TENANT. */
  async create(endpoint: NewWebhookEndpoint): Promise<WebhookEndpoint | null> {
    const [row] = await rows<EndpointRow>(
      this.dataSource,
      `INSERT INTO webhook_endpoints (id, tenant, url, events, description, secret)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE (SELECT count(*) FROM webhook_endpoints WHERE tenant = $2) < ${MAX_ENDPOINTS_PER_TENANT}
       RETURNING ${ENDPOINT_COLUMNS}`,
      [randomUUID(), endpoint.tenant, endpoint.url, endpoint.events, endpoint.description, endpoint.secret],
    );
    return row ? endpointOf(row) : null;
  }

  /** The tenant's endpoints, oldest first; every tenant's when `tenant` is absent (the operators' CLI). */
  async list(tenant?: string): Promise<WebhookEndpoint[]> {
    const found = await rows<EndpointRow>(
      this.dataSource,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_at, id`,
      [tenant ?? null],
    );
    return found.map(endpointOf);
  }

  async find(id: string, tenant: string): Promise<WebhookEndpoint | null> {
    const [row] = await rows<EndpointRow>(this.dataSource, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND tenant = $2`, [id, tenant]);
    return row ? endpointOf(row) : null;
  }

  /** Changes what is given; enabling clears the reason Baton disabled it for. Null when the tenant has no such endpoint. */
  async update(id: string, tenant: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null> {
    const [row] = await rows<EndpointRow>(
      this.dataSource,
      `UPDATE webhook_endpoints SET
         events = COALESCE($3, events),
         description = CASE WHEN $4 THEN $5 ELSE description END,
         disabled = COALESCE($6, disabled),
         disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason ELSE NULL END,
         updated_at = now()
       WHERE id = $1 AND tenant = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [id, tenant, changes.events ?? null, changes.description !== undefined, changes.description ?? null, changes.disabled ?? null],
    );
    return row ? endpointOf(row) : null;
  }

  /** Removes an endpoint and its deliveries; false when the tenant has no such endpoint. */
  async delete(id: string, tenant: string): Promise<boolean> {
    const deleted = await rows<{ id: string }>(this.dataSource, `DELETE FROM webhook_endpoints WHERE id = $1 AND tenant = $2 RETURNING id`, [id, tenant]);
    return deleted.length > 0;
  }

  /**
   * Replaces the secret; the one it replaces keeps signing for `graceSec`.
   * A second rotation within the grace period drops the oldest secret.
   */
  async rotateSecret(id: string, tenant: string, secret: string, graceSec: number): Promise<WebhookEndpoint | null> {
    const [row] = await rows<EndpointRow>(
      connected(this.dataSource),
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = now() + make_interval(secs => $4),
         secret = $3, updated_at = now()
       WHERE id = $1 AND tenant = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [id, tenant, secret, graceSec],
    );
    return row ? endpointOf(row) : null;
  }
}
