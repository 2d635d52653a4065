import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { connected } from '../database-connector';
import { ApiKeyEntity } from '../entities';

export interface NewApiKey {
  id: string;
  tenant: string;
  name?: string;
  scopes: string[];
  keyHash: string;
  keyPrefix: string;
}

/** What a request's key grants: who it is and what it may do. */
export interface ActiveApiKey {
  id: string;
  tenant: string;
  scopes: string[];
}

/** API keys by hash. Keys are revoked, never deleted, so that jobs keep naming the key that created them. */
@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Stores a key; false when a key with the same hash already exists (nothing changes then). */
  async insert(key: NewApiKey): Promise<boolean> {
    const inserted: unknown[] = await connected(this.dataSource).query(
      `INSERT INTO api_keys (id, tenant, name, scopes, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key_hash) DO NOTHING RETURNING id`,
      [key.id, key.tenant, key.name ?? null, key.scopes, key.keyHash, key.keyPrefix],
    );
    return inserted.length > 0;
  }

  /** The unrevoked key with this hash, if any. */
  async findActiveByHash(keyHash: string): Promise<ActiveApiKey | null> {
    const [row] = await connected(this.dataSource).query(`SELECT id, tenant, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [
      keyHash,
    ]);
    return row ? { id: row.id, tenant: row.tenant, scopes: row.scopes } : null;
  }

  async findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return connected(this.dataSource).getRepository(ApiKeyEntity).findOneBy({ keyHash });
  }

  /** Every key, oldest first; only one tenant's with `tenant`. */
  async list(tenant?: string): Promise<ApiKeyEntity[]> {
    return connected(this.dataSource)
      .getRepository(ApiKeyEntity)
      .find({ where: tenant === undefined ? {} : { tenant }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Revokes a key; returns it as it now is, or null if there is no such key. Revoking twice keeps the first date. */
  async revoke(id: string): Promise<ApiKeyEntity | null> {
    await connected(this.dataSource).query(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1`, [id]);
    return connected(this.dataSource).getRepository(ApiKeyEntity).findOneBy({ id });
  }

  async recordUse(id: string): Promise<void> {
    await connected(this.dataSource).query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [id]);
  }
}
