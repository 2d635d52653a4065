import { LOAD_KINDS, MAX_IN_FLIGHT } from './mixed-load';
import { ProcessMetric, ProcessSample, QueueSample } from './process-sampler';
import { allowedGrowth, Point, pooledSlope, Tolerance } from './trend';

/**
 * How much each series may grow over a process's lifetime after warm-up
 * (`floor`, plus `perHour` per hour of the longest lifetime fitted). The
 * floors absorb what a healthy Node.js process does in its first minutes
 * on a shared machine (V8's old space filling up to its first full
 * collections, the JIT's code space); the hourly rates are what a pod
 * could carry for days within the chart's 512Mi limit. Event-loop lag on a
 * machine shared with other work swings by hundreds of milliseconds from
 * one sample to the next, hence its wide floor.
 */
export const TOLERANCES: Record<ProcessMetric | 'queue', Tolerance & { unit: 'MiB' | 'count' | 'ms' }> = {
  rss: { floor: 24 * 2 ** 20, perHour: 32 * 2 ** 20, unit: 'MiB' },
  heapUsed: { floor: 16 * 2 ** 20, perHour: 16 * 2 ** 20, unit: 'MiB' },
  handles: { floor: 10, perHour: 10, unit: 'count' },
  lagP99: { floor: 0.25, perHour: 0.1, unit: 'ms' },
  pgConnections: { floor: 2, perHour: 2, unit: 'count' },
  queue: { floor: 200, perHour: 200, unit: 'count' },
};

/**
 * The API's handles include the load's keep-alive sockets: the harness opens
 * more while the machine stalls (up to MAX_IN_FLIGHT per kind of request) and
 * the API closes them after its keep-alive timeout, so a short run can catch
 * them rising (16 to 33 in one 3-minute run; 55 falling to 30 over a
 * 30-minute one). Its floor is what the load may hold open, and the sampler.
 */
const API_HANDLES: Tolerance & { unit: 'count' } = { floor: LOAD_KINDS.length * MAX_IN_FLIGHT + 1 + TOLERANCES.handles.floor, perHour: TOLERANCES.handles.perHour, unit: 'count' };

export const METRIC_LABELS: Record<ProcessMetric, string> = {
  rss: 'RSS',
  heapUsed: 'heap used',
  handles: 'active handles',
  lagP99: 'event-loop lag p99',
  pgConnections: 'PostgreSQL sessions',
};

export interface SeriesVerdict {
  series: string;
  lifetimes: number;
  points: number;
  start?: number;
  end?: number;
  /** Units per hour. */
  slopePerHour?: number;
  /** Slope × the longest fitted lifetime. */
  growth?: number;
  allowed?: number;
  unit: 'MiB' | 'count' | 'ms';
  ok: boolean;
  why?: string;
}

const EDGE = 3;
const mean = (points: Point[]) => points.reduce((sum, point) => sum + point.value, 0) / points.length;

function verdict(series: string, lifetimes: Point[][], tolerance: Tolerance & { unit: SeriesVerdict['unit'] }): SeriesVerdict {
  const fitted = lifetimes.filter((points) => points.length > 0);
  const points = fitted.reduce((sum, lifetime) => sum + lifetime.length, 0);
  const slope = pooledSlope(fitted);
  const base = { series, lifetimes: fitted.length, points, unit: tolerance.unit };
  if (slope === undefined) return { ...base, ok: false, why: 'too few samples after warm-up to fit a trend' };
  const window = Math.max(...fitted.map((lifetime) => lifetime[lifetime.length - 1].t - lifetime[0].t));
  const growth = slope * window;
  const allowed = allowedGrowth(tolerance, window);
  return {
    ...base,
    start: mean(fitted[0].slice(0, EDGE)),
    end: mean(fitted[fitted.length - 1].slice(-EDGE)),
    slopePerHour: slope * 3600,
    growth,
    allowed,
    ok: growth <= allowed,
    why: growth <= allowed ? undefined : 'grows beyond its tolerance',
  };
}

/**
 * One verdict per group and runtime metric, its processes' lifetimes fitted
 * with one shared slope (a restarted worker's replacement starts low), each
 * lifetime's first `warmupSeconds` left out; and one per queue, from the
 * soak's `warmupSeconds` on.
 */
export function seriesVerdicts(samples: ProcessSample[], queues: QueueSample[], groups: string[], warmupSeconds: number): SeriesVerdict[] {
  const verdicts: SeriesVerdict[] = [];
  for (const group of groups) {
    const ofGroup = samples.filter((sample) => sample.group === group && sample.age >= warmupSeconds);
    const processes = [...new Set(ofGroup.map((sample) => sample.process))];
    for (const metric of Object.keys(METRIC_LABELS) as ProcessMetric[]) {
      const lifetimes = processes.map((name) => ofGroup.filter((sample) => sample.process === name).map((sample) => ({ t: sample.t, value: sample.values[metric] })));
      const tolerance = group === 'api' && metric === 'handles' ? API_HANDLES : TOLERANCES[metric];
      verdicts.push(verdict(`${group}: ${METRIC_LABELS[metric]}`, lifetimes, tolerance));
    }
  }
  for (const queue of [...new Set(queues.map((sample) => sample.queue))].sort()) {
    const points = queues.filter((sample) => sample.queue === queue && sample.t >= warmupSeconds).map((sample) => ({ t: sample.t, value: sample.messages }));
    verdicts.push(verdict(`queue ${queue}`, [points], TOLERANCES.queue));
  }
  return verdicts;
}

export function formatValue(value: number | undefined, unit: SeriesVerdict['unit']): string {
  if (value === undefined) return '—';
  if (unit === 'MiB') return (value / 2 ** 20).toFixed(1);
  if (unit === 'ms') return (value * 1000).toFixed(1);
  return Math.abs(value) < 10 && !Number.isInteger(value) ? value.toFixed(2) : value.toFixed(0);
}
