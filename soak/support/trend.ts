/** One reading of a series: seconds since the soak began, and the value. */
export interface Point {
  t: number;
  value: number;
}

/**
 * The least-squares slope (units per second) shared by several runs of a
 * series, each with an intercept of its own: a restarted worker's new
 * process starts low again, and fitting one line across the restart would
 * read the drop as a fall (or the climb from it as a leak). Each lifetime
 * contributes its deviations from its own means; lifetimes with fewer than
 * two points, or all at one instant, contribute nothing. Undefined when no
 * lifetime has two points apart in time.
 */
export function pooledSlope(lifetimes: Point[][]): number | undefined {
  let covariance = 0;
  let variance = 0;
  for (const points of lifetimes) {
    if (points.length < 2) continue;
    const meanT = points.reduce((sum, point) => sum + point.t, 0) / points.length;
    const meanValue = points.reduce((sum, point) => sum + point.value, 0) / points.length;
    for (const point of points) {
      covariance += (point.t - meanT) * (point.value - meanValue);
      variance += (point.t - meanT) ** 2;
    }
  }
  return variance > 0 ? covariance / variance : undefined;
}

/**
 * How much a series may grow over the window it is fitted on: `floor` in
 * any case (a short run's fit is dominated by noise, a GC's sawtooth, a
 * JIT cache filling), plus `perHour` for each hour of the window.
 */
export interface Tolerance {
  floor: number;
  perHour: number;
}

export function allowedGrowth(tolerance: Tolerance, windowSeconds: number): number {
  return tolerance.floor + (tolerance.perHour * windowSeconds) / 3600;
}
