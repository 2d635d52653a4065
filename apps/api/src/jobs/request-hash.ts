import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an idempotency key is bound to: the job type and the request body. */
export function requestHash(type: string, payload: unknown): string {
  return createHash('sha256').update(type).update('\n').update(canonicalJson(payload)).digest('hex');
}
