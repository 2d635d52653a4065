import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';

// Written out here rather than imported from @baton/auth, so that tests check
// Baton's keys against an independent statement of the format and the hash.
/** A key in Baton's format: `baton_` and 32 random bytes, base64url. */
export const generateApiKey = (): string => `baton_${randomBytes(32).toString('base64url')}`;
/** How Baton stores a key: hex SHA-256. */
export const sha256Hex = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The tenant of the key every suite's database gets. */
export const TEST_TENANT = 'e2e';

/**
 * An admin key of tenant `e2e`, stored in every database createTestDatabase
 * migrates; the HTTP helpers send it unless told otherwise. Fresh for each
 * test file (jest loads this module once per file).
 */
export const TEST_API_KEY = generateApiKey();

/** A row of the api_keys table, as SQL returns it. */
export interface ApiKeyRow {
  id: string;
  tenant: string;
  name: string | null;
  scopes: string[];
  key_hash: string;
  key_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface StoredKey {
  id: string;
  key: string;
  tenant: string;
}

/** Stores an API key in a database as `keys create` would: hashed, never in clear. */
export async function storeApiKey(
  databaseUrl: string,
  options: { tenant?: string; scopes?: string[]; key?: string } = {},
): Promise<StoredKey> {
  const key = options.key ?? generateApiKey();
  const tenant = options.tenant ?? TEST_TENANT;
  const id = randomUUID();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`INSERT INTO api_keys (id, tenant, name, scopes, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5, $6)`, [
      id,
      tenant,
      'test key',
      options.scopes ?? ['admin'],
      sha256Hex(key),
      key.slice(0, 12),
    ]);
  } finally {
    await client.end();
  }
  return { id, key, tenant };
}

/** The Authorization header for a key. */
export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
