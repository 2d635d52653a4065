/**
 * A small seeded PRNG (mulberry32), so that a chaos run's choices (which
 * worker dies, when, which jobs are poison) can be replayed with its seed.
 * The timing of real processes still varies from run to run; the seed fixes
 * the harness's decisions, not the machine's.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from nothing');
    return items[Math.floor(this.next() * items.length)];
  }

  /** `count` distinct integers from [min, max]. */
  distinct(count: number, min: number, max: number): Set<number> {
    if (count > max - min + 1) throw new Error(`cannot draw ${count} distinct integers from [${min}, ${max}]`);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(this.int(min, max));
    return chosen;
  }

  /** An independent generator for one part of the run, reproducible from this one's seed and the label. */
  fork(label: string): SeededRandom {
    let hash = this.seed >>> 0;
    for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
    return new SeededRandom(hash);
  }
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
