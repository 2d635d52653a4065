import { BenchProcess, BATON_WORKER } from '../support/bench-process';
import { BenchRow, BenchSizes, compared } from '../support/bench-row';
import { benchWorkout, BenchWorld } from '../support/bench-world';
import { completionRate, waitForCompleted } from '../support/completion';
import { CpuMeter } from '../support/cpu';
import { figure } from '../support/stats';

const CONCURRENCY = 4;
/** The handler waits this long on I/O: a PostgreSQL sleep inside its transaction (the slow-workout trigger). */
const IO_WAIT_MS = 20;
const SCALES = [1, 2, 4];

/**
 * 5. Horizontal scale: jobs whose handler waits 20 ms on I/O, drained by 1,
 * 2 and 4 worker processes; throughput should grow with the processes.
 */
export async function horizontalScale(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const rates = new Map<number, number[]>(SCALES.map((scale) => [scale, []]));
  // Enough jobs for about `seconds` of work at the ideal rate.
  const perWorkerRate = (CONCURRENCY * 1000) / IO_WAIT_MS;
  for (let round = 0; round <= sizes.rounds; round++) {
    for (const scale of SCALES) {
      await world.reset();
      const count = Math.round(perWorkerRate * scale * (round === 0 ? 1 : sizes.seconds));
      await world.prefill('workouts', count, (index) => benchWorkout(`slow-${IO_WAIT_MS}-${index}`));
      const workers = await Promise.all(
        Array.from({ length: scale }, () =>
          BenchProcess.start(BATON_WORKER, { ...world.batonEnv(), WORKER_QUEUES: 'workouts', WORKER_CONCURRENCY: String(CONCURRENCY), DATABASE_POOL_SIZE: String(CONCURRENCY) }),
        ),
      );
      let usage = '';
      try {
        await Promise.all(workers.map((worker) => worker.ready('health')));
        const cpu = new CpuMeter(Object.fromEntries(workers.map((worker, index) => [`worker ${index + 1}`, worker.child.pid!])));
        await waitForCompleted(world, count, 300_000);
        usage = cpu.describe();
      } finally {
        await Promise.all(workers.map((worker) => worker.stop()));
      }
      const rate = await completionRate(world);
      if (round > 0) rates.get(scale)!.push(rate);
      log(`  scale ${scale} worker(s) round ${round}: ${rate.toFixed(0)} jobs/s (${usage})`);
    }
  }
  await world.reset();
  const one = figure(rates.get(1)!);
  return SCALES.filter((scale) => scale > 1).map((scale) =>
    compared(
      '5. horizontal scale',
      `${scale} workers (${IO_WAIT_MS} ms I/O per job, concurrency ${CONCURRENCY})`,
      'jobs/s',
      figure(rates.get(scale)!),
      { name: `${scale} × 1 worker`, figure: { ...one, median: one.median * scale, min: one.min * scale, max: one.max * scale } },
      { ratio: 0.8, higherIsBetter: true },
    ),
  );
}
