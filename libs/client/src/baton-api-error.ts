import type { components } from './generated/schema';

export type ErrorBody = components['schemas']['Error'];

/** An answer that is not a success, with Baton's error body when it sent one. */
export class BatonApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
    /** The X-Request-Id of the answer, under which Baton's logs have the request. */
    readonly requestId: string | null,
  ) {
    super(`Baton answered ${status}: ${body?.message ?? 'no error body'}${requestId ? ` (request ${requestId})` : ''}`);
    this.name = 'BatonApiError';
  }
}
