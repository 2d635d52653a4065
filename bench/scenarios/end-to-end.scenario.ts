import { BenchProcess, BATON_API, BATON_WORKER, baseline, cores } from '../support/bench-process';
import { absolute, BenchRow, BenchSizes, compared, reported } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { CpuMeter } from '../support/cpu';
import { endToEndMs, waitForCompleted } from '../support/completion';
import { FailureTally, failureNote, runLoad } from '../support/load';
import { figure, percentile } from '../support/stats';

interface Pipeline {
  name: string;
  start(): Promise<{ api: BenchProcess; worker: BenchProcess }>;
}

/**
 * 3. End to end: a steady rate of workouts through an API and one worker,
 * accept-to-completed latency from the rows; against BullMQ doing the same
 * work (same accept, queue.add on Redis, the same SQL in its worker). Also
 * 6. footprint: the peak resident memory of Baton's API and worker under it.
 */
export async function endToEnd(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  const pipelines: Pipeline[] = [
    {
      name: 'baton',
      start: async () => {
        const api = await BenchProcess.start(BATON_API, world.batonEnv(), { cpus: first });
        const worker = await BenchProcess.start(BATON_WORKER, { ...world.batonEnv(), WORKER_QUEUES: 'workouts' }, { cpus: second });
        await Promise.all([api.ready('health'), worker.ready('health')]);
        return { api, worker };
      },
    },
    {
      name: 'bullmq',
      start: async () => {
        const env = { DATABASE_URL: world.databaseUrl, REDIS_URL: world.redisUrl, QUEUE_NAME: world.bullQueue };
        const api = await BenchProcess.start(baseline('bullmq-accept'), env, { cpus: first });
        const worker = await BenchProcess.start(baseline('bullmq-worker'), { ...env, CONCURRENCY: '8' }, { cpus: second });
        await Promise.all([api.ready('line'), worker.ready('line')]);
        return { api, worker };
      },
    },
  ];
  const results: Record<string, { p50: number[]; p99: number[]; rate: number[]; lightP99: number[]; apiRss?: number; workerRss?: number }> = {};
  const failures = new FailureTally();
  for (const pipeline of pipelines) {
    const figures = (results[pipeline.name] = { p50: [] as number[], p99: [] as number[], rate: [] as number[], lightP99: [] as number[] });
    const { api, worker } = await pipeline.start();
    try {
      // The target's rate first (after a warm-up round), then a lighter one
      // at which the machine has room: latency there is the pipeline's own, not a backlog.
      const rounds = [
        ...Array.from({ length: sizes.rounds + 1 }, (_, round) => ({ round, rate: sizes.e2eRate, seconds: round === 0 ? sizes.warmupSeconds : sizes.e2eSeconds })),
        ...Array.from({ length: sizes.rounds }, (_, index) => ({ round: index + 1, rate: sizes.e2eLightRate, seconds: sizes.e2eSeconds })),
      ];
      for (const { round, rate: offered, seconds } of rounds) {
        await world.reset();
        const cpu = new CpuMeter({ api: api.child.pid!, worker: worker.child.pid! });
        const load = await runLoad({
          url: `${api.url}/v1/workouts`,
          body: benchWorkout(),
          headers: { authorization: `Bearer ${BENCH_API_KEY}` },
          connections: 50,
          rate: offered,
          seconds,
        });
        await waitForCompleted(world, load.ok, 120_000);
        if (round > 0) failures.add(pipeline.name, load);
        const usage = cpu.describe();
        const latencies = await endToEndMs(world);
        const [span] = await world.query<{ seconds: number }>(`SELECT extract(epoch FROM max(completed_at) - min(created_at))::float8 AS seconds FROM jobs`);
        const rate = latencies.length / span.seconds;
        if (offered === sizes.e2eLightRate) figures.lightP99.push(percentile(latencies, 99));
        else if (round > 0) {
          figures.p50.push(percentile(latencies, 50));
          figures.p99.push(percentile(latencies, 99));
          figures.rate.push(rate);
        }
        log(
          `  e2e ${pipeline.name} at ${offered}/s round ${round}: ${latencies.length} jobs, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ${rate.toFixed(0)} jobs/s (${usage})${failureNote(load)}`,
        );
      }
      Object.assign(figures, { apiRss: api.peakRssMiB(), workerRss: worker.peakRssMiB() });
    } finally {
      await Promise.all([api.stop(), worker.stop()]);
    }
  }
  await world.reset();
  const baton = results.baton;
  const bull = results.bullmq;
  const one = (value: number) => figure([value]);
  return [
    absolute('3. end to end', `accept→completed p50 at ${sizes.e2eRate}/s`, 'ms', figure(baton.p50), {}),
    absolute('3. end to end', `accept→completed p99 at ${sizes.e2eRate}/s`, 'ms', figure(baton.p99), { below: 50 }),
    reported('3. end to end', `accept→completed p99 at ${sizes.e2eRate}/s`, 'ms', figure(baton.p99), { name: 'BullMQ', figure: figure(bull.p99) }),
    reported('3. end to end', `accept→completed p99 at ${sizes.e2eLightRate}/s`, 'ms', figure(baton.lightP99), { name: 'BullMQ', figure: figure(bull.lightP99) }),
    compared('3. end to end', 'throughput, API + one worker', 'jobs/s', figure(baton.rate), { name: 'BullMQ', figure: figure(bull.rate) }, { ratio: 1, higherIsBetter: true }, failures.note()),
    absolute('6. footprint', 'API peak RSS under load', 'MiB', one(baton.apiRss!), { below: 150 }),
    absolute('6. footprint', 'worker peak RSS under load', 'MiB', one(baton.workerRss!), { below: 150 }),
  ];
}
