export const REDACTED = '[redacted]';

/**
 * A copy of the payload with the fields at `paths` (dotted, as a job
 * definition's secretFields) replaced by `[redacted]`, and which of them it
 * held.
 */
export function redactedPayload(payload: unknown, paths: readonly string[]): { payload: unknown; redacted: string[] } {
  const copy: unknown = structuredClone(payload);
  const redacted: string[] = [];
  for (const path of paths) {
    const keys = path.split('.');
    let holder: unknown = copy;
    for (const key of keys.slice(0, -1)) holder = isRecord(holder) ? holder[key] : undefined;
    const last = keys[keys.length - 1];
    if (isRecord(holder) && Object.prototype.hasOwnProperty.call(holder, last)) {
      holder[last] = REDACTED;
      redacted.push(path);
    }
  }
  return { payload: copy, redacted };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
