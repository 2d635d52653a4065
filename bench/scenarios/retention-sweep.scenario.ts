import { setTimeout as delay } from 'node:timers/promises';
import { BATON_API, BATON_WORKER, BenchProcess, cores } from '../support/bench-process';
import { BenchRow, BenchSizes, compared } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { FailureTally, failureNote, runLoad } from '../support/load';
import { figure } from '../support/stats';

/** Rounds of each kind: a sweep of the full size is minutes of work per round. */
const ROUNDS = 2;

/**
 * 9. Retention sweep: the API's accept p99 at a steady rate with a worker
 * that has nothing to sweep, against the same while that worker deletes
 * `expiredRows` completed jobs (200,000 in the full run) in its batches.
 * The load starts once the sweep has begun; the note says how much of the
 * sweep the load overlapped and how long the sweep took.
 */
export async function retentionSweep(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  const env = { ...world.batonEnv(), JOB_RETENTION_COMPLETED_SEC: '86400', JOB_RETENTION_SWEEP_MS: '500' };
  const api = await BenchProcess.start(BATON_API, env, { cpus: first });
  const worker = await BenchProcess.start(BATON_WORKER, { ...env, WORKER_QUEUES: 'workouts' }, { cpus: first });
  const load = (seconds: number) =>
    runLoad({ url: `${api.url}/v1/workouts`, body: benchWorkout(), headers: { authorization: `Bearer ${BENCH_API_KEY}` }, connections: sizes.connections, rate: sizes.e2eLightRate, seconds, cpus: second });
  try {
    await Promise.all([api.ready('health'), worker.ready('health')]);
    await world.reset();
    await load(sizes.warmupSeconds);
    const failures = new FailureTally();
    const p99 = { quiet: [] as number[], sweeping: [] as number[] };
    const notes: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await world.reset();
      const quiet = await load(sizes.seconds);
      failures.add('quiet', quiet);
      p99.quiet.push(quiet.p99);
      log(`  retention round ${round}, nothing to sweep: p99 ${quiet.p99} ms${failureNote(quiet)}`);

      await world.reset();
      await insertExpired(world, sizes.expiredRows);
      const sweepStarted = await waitUntilExpiredBelow(world, sizes.expiredRows, 120_000);
      const sweepEnd = waitUntilExpiredBelow(world, 1, 1_800_000);
      const leftAtLoadStart = await countExpired(world);
      const sweeping = await load(sizes.seconds);
      const leftAfterLoad = await countExpired(world);
      const sweepEnded = await sweepEnd;
      failures.add('sweeping', sweeping);
      p99.sweeping.push(sweeping.p99);
      const sweepSeconds = (sweepEnded - sweepStarted) / 1000;
      const overlapped = leftAtLoadStart - leftAfterLoad;
      notes.push(`round ${round}: sweep ${sweepSeconds.toFixed(1)} s, ${overlapped} of ${sizes.expiredRows} rows went during the load`);
      log(`  retention round ${round}, sweeping ${sizes.expiredRows} rows: p99 ${sweeping.p99} ms${failureNote(sweeping)}; ${notes.at(-1)}`);
    }
    return [
      compared(
        '9. retention sweep',
        `accept p99 at ${sizes.e2eLightRate}/s during a sweep of ${sizes.expiredRows.toLocaleString('en')} rows`,
        'ms',
        figure(p99.sweeping),
        { name: 'no sweep', figure: figure(p99.quiet) },
        { ratio: 2, higherIsBetter: false },
        [notes.join('; '), failures.note()].filter(Boolean).join('; '),
      ),
    ];
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
    await world.reset();
  }
}

/** Completed jobs that finished two days ago, with a workout's payload: past the worker's one-day retention. */
async function insertExpired(world: BenchWorld, count: number): Promise<void> {
  for (let from = 0; from < count; from += 50_000) {
    await world.query(
      `INSERT INTO jobs (id, type, tenant, status, payload, max_attempts, attempts, result, correlation_id, published_at, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), 'workouts', 'bench', 'completed', $1::jsonb, 5, 1, jsonb_build_object('workoutId', gen_random_uuid()), 'bench',
              now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', now() - interval '2 days'
       FROM generate_series(1, $2)`,
      [JSON.stringify(benchWorkout()), Math.min(50_000, count - from)],
    );
  }
}

async function countExpired(world: BenchWorld): Promise<number> {
  const [row] = await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status = 'completed' AND updated_at < now() - interval '1 day'`);
  return row.n;
}

/** Resolves with the time at which fewer than `below` expired rows were left (to 200 ms). */
async function waitUntilExpiredBelow(world: BenchWorld, below: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while ((await countExpired(world)) >= below) {
    if (Date.now() > deadline) throw new Error(`the retention sweep did not get below ${below} rows within ${timeoutMs} ms`);
    // Each look is a connection of its own: seldom enough not to weigh on what is measured.
    await delay(200);
  }
  return Date.now();
}
