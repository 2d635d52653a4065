import { ProcessSample } from './process-sampler';
import { seriesVerdicts } from './series-verdicts';

const MiB = 2 ** 20;

/** A process's samples every 5 s from `born` to `until`, its RSS `rss(age)` and every other gauge flat. */
function lifetime(process: string, born: number, until: number, rss: (age: number) => number): ProcessSample[] {
  const samples: ProcessSample[] = [];
  for (let t = born; t <= until; t += 5) {
    samples.push({ t, group: 'workouts', process, age: t - born, values: { rss: rss(t - born), heapUsed: 40 * MiB, handles: 10, lagP99: 0.01, pgConnections: 3 } });
  }
  return samples;
}

const rssVerdict = (samples: ProcessSample[]) => seriesVerdicts(samples, [], ['workouts'], 60).find((entry) => entry.series === 'workouts: RSS')!;

describe(seriesVerdicts.name, () => {
  it('passes a flat process after its warm-up, whatever it did before', () => {
    const verdict = rssVerdict(lifetime('w-1', 0, 1800, (age) => (age < 60 ? 300 * MiB : 120 * MiB)));
    expect(verdict).toMatchObject({ ok: true, lifetimes: 1 });
    expect(verdict.slopePerHour).toBeCloseTo(0, 6);
  });

  it('fails a process whose RSS keeps growing past the floor and the hourly rate', () => {
    // 2 MiB a minute: 58 MiB over the 29 minutes fitted, against 24 + 32 × 29/60 ≈ 39.5 MiB allowed.
    const verdict = rssVerdict(lifetime('w-1', 0, 1800, (age) => 100 * MiB + (2 * MiB * age) / 60));
    expect(verdict.ok).toBe(false);
    expect(verdict.slopePerHour! / MiB).toBeCloseTo(120, 6);
  });

  it('fits restarted processes per lifetime: a replacement starting low is no fall, and each one growing is still a leak', () => {
    // 3 MiB a minute: 42 MiB over each lifetime's 14 minutes fitted, against 24 + 32 × 14/60 ≈ 31.5 MiB allowed.
    const saw = (age: number) => 100 * MiB + (3 * MiB * age) / 60;
    const restarted = [...lifetime('w-1', 0, 900, saw), ...lifetime('w-2', 905, 1800, saw)];
    expect(rssVerdict(restarted)).toMatchObject({ ok: false, lifetimes: 2 });
    const flat = [...lifetime('w-1', 0, 900, () => 200 * MiB), ...lifetime('w-2', 905, 1800, () => 110 * MiB)];
    expect(rssVerdict(flat)).toMatchObject({ ok: true, lifetimes: 2 });
  });

  it('fails a series with too few samples after warm-up to fit', () => {
    expect(rssVerdict(lifetime('w-1', 0, 50, () => 100 * MiB))).toMatchObject({ ok: false, why: 'too few samples after warm-up to fit a trend' });
  });
});
