import { BenchProcess, BATON_API, cores } from '../support/bench-process';
import { BenchRow, BenchSizes, reported } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { FailureTally, failureNote, runLoad } from '../support/load';
import { figure } from '../support/stats';

/** Items per batch request: what a backend sends when it flushes a queue of its own. */
const BATCH_SIZE = 50;

/**
 * 8. Batch accept: jobs accepted per second when they come in batches of
 * 50 (`POST /v1/workouts/batch`) against one per request (`POST
 * /v1/workouts`), at the same number of connections, against one API
 * process on one core, the load on the other. A job is counted when its
 * request is answered 2xx: every item sent is valid, and a batch's items
 * are committed together.
 */
export async function batchAccept(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  const api = await BenchProcess.start(BATON_API, world.batonEnv(), { cpus: first });
  const ways = {
    single: { path: '/v1/workouts', body: benchWorkout() as object, items: 1 },
    batch: { path: '/v1/workouts/batch', body: { items: Array.from({ length: BATCH_SIZE }, () => benchWorkout()) }, items: BATCH_SIZE },
  };
  try {
    await api.ready('health');
    const failures = new FailureTally();
    const rounds = { single: { jobs: [] as number[], p99: [] as number[] }, batch: { jobs: [] as number[], p99: [] as number[] } };
    for (let round = 0; round <= sizes.rounds; round++) {
      for (const [name, way] of Object.entries(ways) as Array<[keyof typeof ways, (typeof ways)['batch']]>) {
        await world.reset();
        // The first round warms the API up (JIT, pools) and is not counted.
        const seconds = round === 0 ? sizes.warmupSeconds : sizes.seconds;
        const result = await runLoad({
          url: `${api.url}${way.path}`,
          body: way.body,
          headers: { authorization: `Bearer ${BENCH_API_KEY}` },
          connections: sizes.connections,
          seconds,
          cpus: second,
        });
        const jobsPerSecond = (result.ok * way.items) / seconds;
        // The requests still under way when the load stopped (up to 100 batches, 5,000 jobs) finish before the next round.
        const rows = await settledJobCount(world);
        if (round > 0) {
          failures.add(name, result);
          rounds[name].jobs.push(jobsPerSecond);
          rounds[name].p99.push(result.p99);
        }
        log(`  ${name} round ${round}: ${jobsPerSecond.toFixed(0)} jobs/s (${rows} rows) in ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms${failureNote(result)}`);
      }
    }
    const scenario = '8. batch accept';
    return [
      { ...reported(scenario, `jobs/s accepted, batches of ${BATCH_SIZE}`, 'jobs/s', figure(rounds.batch.jobs), { name: 'one per request', figure: figure(rounds.single.jobs) }), note: failures.note() },
      reported(scenario, `p99 latency of a request, batches of ${BATCH_SIZE}`, 'ms', figure(rounds.batch.p99), { name: 'one per request', figure: figure(rounds.single.p99) }),
    ];
  } finally {
    await api.stop();
    await world.reset();
  }
}

/** The number of job rows, once it has stopped growing: the API has answered every request it had read. */
async function settledJobCount(world: BenchWorld): Promise<number> {
  const count = async () => (await world.query<{ jobs: number }>(`SELECT count(*)::int AS jobs FROM jobs`))[0].jobs;
  for (let last = -1, now = await count(); ; last = now, now = await count()) {
    if (now === last) return now;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
