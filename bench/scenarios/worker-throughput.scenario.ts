import { BenchProcess, BATON_WORKER, baseline, cores } from '../support/bench-process';
import { BenchRow, BenchSizes, compared } from '../support/bench-row';
import { benchWorkout, BenchWorld } from '../support/bench-world';
import { completionRate, waitForCompleted } from '../support/completion';
import { figure } from '../support/stats';

const PREFETCH = 8;

/**
 * 2. Worker throughput: a queue pre-filled with workout jobs, drained by one
 * worker process on one core, against the raw amqplib worker with the same
 * prefetch running the same SQL in one transaction.
 */
export async function workerThroughput(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first } = cores();
  const workers = {
    baton: () =>
      BenchProcess.start(BATON_WORKER, { ...world.batonEnv(), WORKER_QUEUES: 'workouts', WORKER_CONCURRENCY: String(PREFETCH), DATABASE_POOL_SIZE: String(PREFETCH) }, { cpus: first }),
    raw: () => BenchProcess.start(baseline('raw-worker'), { DATABASE_URL: world.databaseUrl, RABBITMQ_URL: world.rabbitmqUrl, PREFETCH: String(PREFETCH) }, { cpus: first }),
  };
  const rates = { baton: [] as number[], raw: [] as number[] };
  for (let round = 0; round <= sizes.rounds; round++) {
    for (const name of ['baton', 'raw'] as const) {
      await world.reset();
      const count = round === 0 ? Math.min(sizes.warmupJobs, sizes.prefill) : sizes.prefill;
      await world.prefill('workouts', count, (index) => benchWorkout(`bench-${index}`));
      const worker = await workers[name]();
      try {
        await worker.ready(name === 'baton' ? 'health' : 'line');
        await waitForCompleted(world, count, 300_000);
      } finally {
        await worker.stop();
      }
      const rate = await completionRate(world);
      if (round > 0) rates[name].push(rate);
      log(`  worker ${name} round ${round}: ${rate.toFixed(0)} jobs/s`);
    }
  }
  await world.reset();
  return [
    compared('2. worker throughput', `jobs/s, prefetch ${PREFETCH}`, 'jobs/s', figure(rates.baton), { name: 'raw worker', figure: figure(rates.raw) }, { ratio: 0.75, higherIsBetter: true }),
  ];
}
