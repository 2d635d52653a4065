/**
 * Wraps an expensive read (a queue depth, a COUNT) so that it runs at most
 * once per `maxAgeMs`, however often it is asked for: scrapes from several
 * Prometheus replicas cost one read.
 */
export function sampled<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > maxAgeMs) {
      const value = read();
      cached = { at: now, value };
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}
