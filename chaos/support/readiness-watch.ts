import { BatonProcess } from '../../test/support/processes';

/**
 * What a process's readiness did after a moment: since when it has been not
 * ready, and since when each of its checks has been reported down, without a
 * break until the watch stopped (a probe that failed once under load before
 * the fault and then passed again does not count).
 */
export interface ReadinessTimeline {
  /** Ms from the start of the watch to the first of the answers other than 200 (or no answer) that lasted until its end. */
  notReadyAfterMs?: number;
  /** Ms from the start of the watch to the first of the probes that reported this check down until its end. */
  downAfterMs: Record<string, number>;
}

const POLL_MS = 100;
// Longer than a kubelet's 1 s: on a busy machine the answer (its checks time
// out after 800 ms) can come later, and its body says which check is down.
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Probes a process's `/health/ready` every 100 ms, as a kubelet would, from
 * now until `stop`, and records
 * since when it has been not ready and since when each check named in the
 * body (postgres, consumers, rabbitmq) has been down.
 */
export function watchReadiness(process: BatonProcess): { stop(): Promise<ReadinessTimeline> } {
  const started = Date.now();
  const timeline: ReadinessTimeline = { downAfterMs: {} };
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      const probedAt = Date.now() - started;
      let ready = false;
      const down = new Set<string>();
      try {
        const response = await fetch(`${process.url}/health/ready`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        const body = await response.text();
        ready = response.status === 200;
        for (const [, check] of body.matchAll(/"(\w+)":"down\b/g)) down.add(check);
      } catch {
        // No answer within the probe's timeout: not ready, as the kubelet would count it.
      }
      if (ready) timeline.notReadyAfterMs = undefined;
      else timeline.notReadyAfterMs ??= probedAt;
      for (const check of Object.keys(timeline.downAfterMs)) if (!down.has(check)) delete timeline.downAfterMs[check];
      for (const check of down) timeline.downAfterMs[check] ??= probedAt;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await polling;
      return timeline;
    },
  };
}

export function seconds(ms: number | undefined): string {
  return ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`;
}
