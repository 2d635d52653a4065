import { Figure } from './stats';

export type Size = 'quick' | 'full';

/** How much each scenario does: CI's quick sizes, or the full ones. */
export interface BenchSizes {
  rounds: number;
  /** Seconds of load per round of a rate scenario. */
  seconds: number;
  connections: number;
  /** Jobs queued before a worker throughput round. */
  prefill: number;
  e2eRate: number;
  e2eSeconds: number;
  /** A second, lighter end-to-end rate, reported: the pipeline's latency when the machine is not its limit. */
  e2eLightRate: number;
  /**
   * Seconds of load in the uncounted first round of a rate scenario: long
   * enough for V8 to optimise the request path (Baton's is longer than a
   * baseline's) and for the pools to fill, the same for every contender.
   */
  warmupSeconds: number;
  /** Jobs in the uncounted first round of a worker scenario. */
  warmupJobs: number;
  /** Delayed jobs falling due evenly over `spreadSeconds`, beside immediate workouts at `backgroundRate` per second. */
  delayed: { jobs: number; spreadSeconds: number; backgroundRate: number };
  /** Finished jobs past their retention that the retention scenario's worker deletes. */
  expiredRows: number;
  /** The dashboard search scenario's table of jobs, and how many times each search runs on it. */
  search: { jobs: number; runs: number };
  /** The polling scenario: counted windows of accepts and polls, each `windowSeconds`, after one uncounted `warmupSeconds`, per variant. */
  polling: { windows: number; windowSeconds: number; warmupSeconds: number };
}

export const SIZES: Record<Size, BenchSizes> = {
  quick: { rounds: 3, seconds: 3, connections: 100, prefill: 2000, e2eRate: 500, e2eSeconds: 5, e2eLightRate: 200, warmupSeconds: 6, warmupJobs: 1500, delayed: { jobs: 300, spreadSeconds: 6, backgroundRate: 100 }, expiredRows: 2_000, search: { jobs: 20_000, runs: 50 }, polling: { windows: 2, windowSeconds: 3, warmupSeconds: 3 } },
  full: { rounds: 5, seconds: 10, connections: 100, prefill: 10000, e2eRate: 500, e2eSeconds: 30, e2eLightRate: 200, warmupSeconds: 10, warmupJobs: 3000, delayed: { jobs: 3000, spreadSeconds: 30, backgroundRate: 200 }, expiredRows: 200_000, search: { jobs: 1_000_000, runs: 50 }, polling: { windows: 5, windowSeconds: 10, warmupSeconds: 6 } },
};

/** One line of the results table. */
export interface BenchRow {
  scenario: string;
  metric: string;
  unit: string;
  baton: Figure;
  /** What Baton is compared with, and its figure; none for absolute targets. */
  baseline?: { name: string; figure: Figure };
  /** Baton's median over the baseline's. */
  ratio?: number;
  target: string;
  met: boolean;
  note?: string;
}

/** A row compared with a baseline: `higherIsBetter` says which way the target points. */
export function compared(
  scenario: string,
  metric: string,
  unit: string,
  baton: Figure,
  baseline: { name: string; figure: Figure },
  target: { ratio: number; higherIsBetter: boolean },
  note?: string,
): BenchRow {
  const ratio = baton.median / baseline.figure.median;
  const met = target.higherIsBetter ? ratio >= target.ratio : ratio <= target.ratio;
  return { scenario, metric, unit, baton, baseline, ratio, target: `${target.higherIsBetter ? '≥' : '≤'} ${target.ratio} ×`, met, note };
}

/** A row with an absolute target. */
export function absolute(scenario: string, metric: string, unit: string, baton: Figure, target: { below?: number; atLeast?: number }, note?: string): BenchRow {
  const met = (target.below === undefined || baton.median < target.below) && (target.atLeast === undefined || baton.median >= target.atLeast);
  const text = target.below !== undefined ? `< ${target.below} ${unit}` : target.atLeast !== undefined ? `≥ ${target.atLeast} ${unit}` : 'reported';
  return { scenario, metric, unit, baton, target: text, met, note };
}

/** A comparison shown for context, with no target of its own. */
export function reported(scenario: string, metric: string, unit: string, baton: Figure, baseline: { name: string; figure: Figure }): BenchRow {
  return { scenario, metric, unit, baton, baseline, ratio: baton.median / baseline.figure.median, target: 'reported', met: true };
}
