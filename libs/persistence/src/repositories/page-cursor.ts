import { isUuid } from '@baton/contracts';

/** A cursor that does not decode to a position: the client's input, refused with a 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
    this.name = 'InvalidCursorError';
  }
}

/**
 * Where a page of a newest-first list ends: its last row's creation time
 * (to the microsecond, as PostgreSQL prints it) and id. Opaque to clients:
 * base64url of both.
 */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && /^\d{4}-\d{2}-\d{2} [\d:.]+[+-]\d{2}(:\d{2})?$/.test(at) && isUuid(id)) {
      return { at, id };
    }
  } catch {
    // Not base64url JSON: refused below.
  }
  throw new InvalidCursorError();
}
