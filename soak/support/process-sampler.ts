import { ChaosDatabase } from '../../chaos/support/chaos-database';
import { ProcessGroup } from '../../chaos/support/process-group';

/** The runtime gauges read from each Baton process's /metrics (prom-client's default metrics). */
export const PROCESS_METRICS = {
  rss: 'process_resident_memory_bytes',
  heapUsed: 'nodejs_heap_size_used_bytes',
  handles: 'nodejs_active_handles_total',
  // prom-client resets its event-loop histogram at each scrape: this is the p99 since the previous sample.
  lagP99: 'nodejs_eventloop_lag_p99_seconds',
} as const;

export type ProcessMetric = keyof typeof PROCESS_METRICS | 'pgConnections';

/** One process at one instant. */
export interface ProcessSample {
  /** Seconds since the soak began. */
  t: number;
  group: string;
  process: string;
  /** Seconds since the sampler first saw the process: its lifetime so far. */
  age: number;
  values: Record<ProcessMetric, number>;
}

/** One queue's depth at one instant, as the API reports it (baton_queue_messages), or the relay backlog. */
export interface QueueSample {
  t: number;
  queue: string;
  messages: number;
}

export interface SampledGroup {
  label: string;
  group: ProcessGroup;
}

const SCRAPE_TIMEOUT_MS = 4_000;

/**
 * Reads, every interval, each running process's /metrics, the PostgreSQL
 * sessions of the soak's database by application_name (each process's name),
 * and the queue depths the API exports from the broker (passive declares,
 * no management plugin). A process that does not answer a scrape is left
 * out of that sample; the number of such misses is kept.
 */
export class ProcessSampler {
  readonly processSamples: ProcessSample[] = [];
  readonly queueSamples: QueueSample[] = [];
  /** The most sessions any one process held at once, by process. */
  readonly peakSessions = new Map<string, number>();
  missedScrapes = 0;
  private readonly firstSeen = new Map<string, number>();
  /** Processes that reported ready: one still starting has no /metrics to read yet, and is no miss. */
  private readonly ready = new Set<string>();
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly groups: SampledGroup[],
    /** The group whose process reports queue depths. */
    private readonly apis: ProcessGroup,
    private readonly db: ChaosDatabase,
    private readonly startedAt: number,
  ) {}

  start(intervalMs: number): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const tick = Date.now();
        await this.sample().catch(() => this.missedScrapes++);
        const wait = intervalMs - (Date.now() - tick);
        if (wait > 0 && this.running) await new Promise<void>((resolve) => ((this.wake = resolve), setTimeout(resolve, wait)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Notes the processes of every group as born now (call right after a spawn, so that a lifetime's age is not off by an interval). */
  noteMembers(): void {
    const now = this.seconds();
    for (const { group } of this.groups) {
      for (const member of group.members) {
        if (this.firstSeen.has(member.name)) continue;
        this.firstSeen.set(member.name, now);
        void member.ready.then(() => this.ready.add(member.name)).catch(() => undefined);
      }
    }
  }

  private seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  private async sample(): Promise<void> {
    this.noteMembers();
    const t = this.seconds();
    const sessions = new Map(
      (
        await this.db.query<{ name: string; sessions: number }>(
          `SELECT application_name AS name, count(*)::int AS sessions FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1`,
        )
      ).map((row) => [row.name, row.sessions]),
    );
    const scrapes = this.groups.flatMap(({ label, group }) =>
      group.members
        .filter((member) => member.process.running && this.ready.has(member.name))
        .map(async (member) => {
          const text = await scrape(member.process.url);
          if (text === undefined) {
            this.missedScrapes++;
            return;
          }
          const values = { pgConnections: sessions.get(member.name) ?? 0 } as Record<ProcessMetric, number>;
          for (const [key, name] of Object.entries(PROCESS_METRICS)) {
            const value = metricValue(text, name);
            if (value === undefined) return void this.missedScrapes++;
            values[key as ProcessMetric] = value;
          }
          this.peakSessions.set(member.name, Math.max(this.peakSessions.get(member.name) ?? 0, values.pgConnections));
          this.processSamples.push({ t, group: label, process: member.name, age: t - (this.firstSeen.get(member.name) ?? t), values });
        }),
    );
    await Promise.all(scrapes);
    const api = this.apis.members.find((member) => member.process.running);
    const text = api && (await scrape(api.process.url));
    if (text === undefined) return;
    // A job type's retry queues (one per delay) summed: what matters is how much waits to be tried again.
    const depths = new Map<string, number>();
    for (const match of text.matchAll(/^baton_queue_messages\{queue="([^"]+)"\} (\S+)$/gm)) {
      const queue = match[1].replace(/\.retry\..*$/, '.retry');
      depths.set(queue, (depths.get(queue) ?? 0) + Number(match[2]));
    }
    for (const [queue, messages] of depths) this.queueSamples.push({ t, queue, messages });
    const backlog = metricValue(text, 'baton_relay_backlog_jobs');
    if (backlog !== undefined) this.queueSamples.push({ t, queue: 'relay backlog (jobs)', messages: backlog });
  }
}

async function scrape(baseUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    return response.status === 200 ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/** The value of an unlabelled sample in Prometheus's text format. */
export function metricValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}
