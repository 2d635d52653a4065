import { hash, randomBytes } from 'node:crypto';
import { API_KEY_PATTERN } from '@baton/contracts';

/** Every key Baton generates starts with this, so that secret scanners and people can tell what leaked. */
export const API_KEY_PREFIX = 'baton_';

// 32 random bytes: a key cannot be guessed, so a fast hash stores it safely.
const KEY_BYTES = 32;
/** Characters of a key kept in clear to recognise it in `keys list`. */
const SHOWN_PREFIX_LENGTH = 12;

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
}

/**
 * Hex SHA-256: what is stored and looked up, never the key. Every request
 * hashes its key twice (the rate limit's bucket, then authentication), so
 * the one-shot form, without a Hash object per call.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function isWellFormedApiKey(candidate: string): boolean {
  return API_KEY_PATTERN.test(candidate);
}

/** The start of a key, safe to show: too short to be used. */
export function shownPrefix(key: string): string {
  return key.slice(0, SHOWN_PREFIX_LENGTH);
}

/** The token of an `Authorization: Bearer <token>` header; undefined when the header is absent or another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  return match ? match[1] : undefined;
}
