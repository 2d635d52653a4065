import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { connectedPool } from '../database-connector';

/** A signed-in dashboard session, as its API key stands now. */
export interface DashboardSession {
  keyId: string;
  tenant: string;
  scopes: string[];
  csrfToken: string;
  expiresAt: Date;
}

/**
 * The dashboard's sessions, by the hash of their token. A session is read
 * joined to its API key, so that a key revoked (or narrowed) after sign-in
 * takes effect at the next request, as it does for the key's own requests.
 */
@Injectable()
export class DashboardSessionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a session of `ttlSec`; returns when it expires. Expired sessions are deleted on the way. */
  async create(tokenHash: string, keyId: string, csrfToken: string, ttlSec: number): Promise<Date> {
    const pool = connectedPool(this.dataSource);
    await pool.query(`DELETE FROM dashboard_sessions WHERE expires_at <= now()`);
    const { rows } = await pool.query<{ expires_at: Date }>(
      `INSERT INTO dashboard_sessions (token_hash, api_key_id, csrf_token, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       RETURNING expires_at`,
      [tokenHash, keyId, csrfToken, ttlSec],
    );
    return rows[0].expires_at;
  }

  /** The session, while it has not expired and its key is not revoked; null otherwise. */
  async find(tokenHash: string): Promise<DashboardSession | null> {
    const { rows } = await connectedPool(this.dataSource).query<DashboardSession>(
      `SELECT k.id AS "keyId", k.tenant, k.scopes, s.csrf_token AS "csrfToken", s.expires_at AS "expiresAt"
       FROM dashboard_sessions s JOIN api_keys k ON k.id = s.api_key_id
       WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }

  async delete(tokenHash: string): Promise<void> {
    await connectedPool(this.dataSource).query(`DELETE FROM dashboard_sessions WHERE token_hash = $1`, [tokenHash]);
  }
}
