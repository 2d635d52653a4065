/** How the client retries an answer that says "not now". */
export interface RetryPolicy {
  /** Tries in all, the first included; 1 turns retries off. */
  maxAttempts: number;
  /** Longest wait between tries: an answer that asks for longer is handed back as it is. */
  maxDelayMs: number;
  /** Waits; a test passes one that records the delays instead. */
  sleep(ms: number): Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  maxDelayMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

// 429: the API key's rate limit; 503: PostgreSQL unreachable. Baton did nothing with the request
// in either case, and a submission carries its Idempotency-Key, so sending it again is safe.
const RETRIED_STATUSES = new Set([429, 503]);

/** Without a Retry-After, the wait doubles from this. */
const FIRST_BACKOFF_MS = 1000;

/** A fetch that sends a request again, after the wait its Retry-After asks for, while Baton answers 429 or 503. */
export function retryingFetch(fetchImpl: typeof fetch, policy: RetryPolicy): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    for (let attempt = 1; ; attempt++) {
      const response = await fetchImpl(request.clone());
      if (!RETRIED_STATUSES.has(response.status) || attempt >= policy.maxAttempts) return response;
      const delay = retryDelayMs(response.headers.get('retry-after'), attempt);
      if (delay > policy.maxDelayMs) return response;
      await response.body?.cancel();
      await policy.sleep(delay);
    }
  };
}

/** Retry-After in seconds or as an HTTP date; without one, 1 s, 2 s, 4 s… */
export function retryDelayMs(retryAfter: string | null, attempt: number, now: number = Date.now()): number {
  if (retryAfter !== null) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return FIRST_BACKOFF_MS * 2 ** (attempt - 1);
}
