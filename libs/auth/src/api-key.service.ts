import { randomUUID } from 'node:crypto';
import { Injectable, Optional } from '@nestjs/common';
import { isUuid, TENANT_PATTERN } from '@baton/contracts';
import { ApiKeyEntity, ApiKeyRepository } from '@baton/persistence';
import { ApiKeyCache } from './api-key-cache';
import { generateApiKey, hashApiKey, isWellFormedApiKey, shownPrefix } from './api-key';
import { API_SCOPES, isApiScope } from './api-scope';
import { Principal } from './principal';

/** A key request that cannot be honoured, with a message for the operator. */
export class ApiKeyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyInputError';
  }
}

export interface ApiKeySpec {
  tenant: string;
  scopes: readonly string[];
  name?: string;
}

export interface CreatedApiKey {
  /** The key itself: shown once, never stored. */
  key: string;
  record: ApiKeyEntity;
}

// last_used_at is a hint for operators, not an audit log: one write per key
// per minute per process keeps it current without a write per request.
const LAST_USE_RESOLUTION_MS = 60_000;

/** Creates, imports, lists, revokes and checks API keys; keys are only ever stored hashed. */
@Injectable()
export class ApiKeyService {
  private readonly lastRecordedUse = new Map<string, number>();

  /** Without a cache (the CLI), every authentication looks its key up. */
  constructor(
    private readonly keys: ApiKeyRepository,
    @Optional() private readonly cache?: ApiKeyCache,
  ) {}

  /** A new random key for the tenant. */
  async create(spec: ApiKeySpec): Promise<CreatedApiKey> {
    const key = generateApiKey();
    const record = await this.store(key, spec);
    if (!record) throw new Error('a freshly generated API key collided with a stored one');
    return { key, record };
  }

  /**
   * Stores a key chosen elsewhere (a bootstrap Secret) unless it is stored
   * already: running it again changes nothing. Null when it was already there.
   */
  async import(key: string, spec: ApiKeySpec): Promise<ApiKeyEntity | null> {
    if (!isWellFormedApiKey(key)) throw new ApiKeyInputError('the key must be 32 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -');
    return this.store(key, spec);
  }

  /** The principal of an active key, or null for a malformed, unknown or revoked one. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!isWellFormedApiKey(token)) return null;
    const keyHash = hashApiKey(token);
    const cached = this.cache?.get(keyHash);
    if (cached !== undefined) {
      this.noteUse(cached.keyId);
      return cached;
    }
    const generation = this.cache?.generation ?? 0;
    const key = await this.keys.findActiveByHash(keyHash);
    if (!key) return null;
    // Frozen: a cached principal is shared by every request with the key.
    const principal: Principal = Object.freeze({ keyId: key.id, tenant: key.tenant, scopes: Object.freeze([...key.scopes]) });
    this.cache?.remember(keyHash, principal, generation);
    this.noteUse(key.id);
    return principal;
  }

  list(tenant?: string): Promise<ApiKeyEntity[]> {
    return this.keys.list(tenant);
  }

  /** Revokes at once: the next request with the key gets 401. Null when there is no such key. */
  async revoke(id: string): Promise<ApiKeyEntity | null> {
    if (!isUuid(id)) throw new ApiKeyInputError(`${id} is not a key id (a UUID, as \`keys list\` shows)`);
    return this.keys.revoke(id);
  }

  private async store(key: string, spec: ApiKeySpec): Promise<ApiKeyEntity | null> {
    validateSpec(spec);
    const keyHash = hashApiKey(key);
    const inserted = await this.keys.insert({
      id: randomUUID(),
      tenant: spec.tenant,
      name: spec.name,
      scopes: [...new Set(spec.scopes)],
      keyHash,
      keyPrefix: shownPrefix(key),
    });
    return inserted ? this.keys.findByHash(keyHash) : null;
  }

  private noteUse(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastRecordedUse.get(keyId) ?? 0) < LAST_USE_RESOLUTION_MS) return;
    this.lastRecordedUse.set(keyId, now);
    // Best effort, off the request's path.
    this.keys.recordUse(keyId).catch(() => this.lastRecordedUse.delete(keyId));
  }
}

function validateSpec(spec: ApiKeySpec): void {
  if (!TENANT_PATTERN.test(spec.tenant)) throw new ApiKeyInputError(`tenant must match ${TENANT_PATTERN} (lowercase letters, digits, . _ -; at most 63)`);
  if (spec.scopes.length === 0) throw new ApiKeyInputError(`a key needs at least one scope: ${API_SCOPES.join(', ')}`);
  const unknown = spec.scopes.filter((scope) => !isApiScope(scope));
  if (unknown.length > 0) throw new ApiKeyInputError(`unknown scope ${unknown.join(', ')}; scopes are ${API_SCOPES.join(', ')}`);
  // Names are printed in `keys list`: no control characters to break the table or the terminal.
  if (spec.name !== undefined && !/^[^\p{Cc}]{1,200}$/u.test(spec.name)) throw new ApiKeyInputError('name must be 1 to 200 characters, none of them control characters');
}
