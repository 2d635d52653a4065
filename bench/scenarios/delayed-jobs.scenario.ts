import { BenchProcess, BATON_API, BATON_WORKER, cores } from '../support/bench-process';
import { absolute, BenchRow, BenchSizes } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { waitForCompleted } from '../support/completion';
import { failureNote, runLoad } from '../support/load';
import { figure, percentile } from '../support/stats';

// Submissions of delayed jobs in flight at once.
const SUBMITTING = 16;
// The first job falls due this long after the submissions start, so that all are accepted before any is due.
const leadSeconds = (jobs: number) => 2 + jobs / 500;

/**
 * 7. Delayed jobs: how late a job with `options.runAt` starts. Jobs fall due
 * spread evenly over a window while a steady load of immediate workouts
 * runs through the same API and worker; lateness is the time from a job's
 * `run_at` to its worker's transaction (the workout row's `created_at`),
 * from the rows. The API relays with its default RELAY_INTERVAL_MS.
 */
export async function delayedJobs(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  const { jobs, spreadSeconds, backgroundRate } = sizes.delayed;
  const api = await BenchProcess.start(BATON_API, world.batonEnv(), { cpus: first });
  const worker = await BenchProcess.start(BATON_WORKER, { ...world.batonEnv(), WORKER_QUEUES: 'workouts' }, { cpus: second });
  const p50: number[] = [];
  const p99: number[] = [];
  const max: number[] = [];
  let notes = '';
  try {
    await Promise.all([api.ready('health'), worker.ready('health')]);
    for (let round = 1; round <= sizes.rounds; round++) {
      await world.reset();
      const firstDue = Date.now() + leadSeconds(jobs) * 1000;
      const dueTimes = Array.from({ length: jobs }, (_, index) => new Date(firstDue + (index * spreadSeconds * 1000) / jobs).toISOString());
      await submitDelayed(api.url, dueTimes);
      if (Date.now() >= firstDue) throw new Error(`submitting ${jobs} delayed jobs took longer than their lead of ${leadSeconds(jobs)} s`);
      // Immediate work beside them, from now until the last one is due.
      const load = await runLoad({
        url: `${api.url}/v1/workouts`,
        body: benchWorkout(),
        headers: { authorization: `Bearer ${BENCH_API_KEY}` },
        connections: 20,
        rate: backgroundRate,
        seconds: Math.ceil((firstDue - Date.now()) / 1000) + spreadSeconds,
      });
      notes = failureNote(load);
      await waitForCompleted(world, jobs + load.ok, 120_000);
      const rows = await world.query<{ ms: number }>(
        `SELECT extract(epoch FROM w.created_at - j.run_at)::float8 * 1000 AS ms FROM jobs j JOIN workouts w ON w.job_id = j.id WHERE j.run_at IS NOT NULL`,
      );
      const lateness = rows.map((row) => row.ms);
      if (lateness.length !== jobs) throw new Error(`${lateness.length} of ${jobs} delayed jobs ran`);
      p50.push(percentile(lateness, 50));
      p99.push(percentile(lateness, 99));
      max.push(Math.max(...lateness));
      log(
        `  delayed round ${round}: ${jobs} jobs due over ${spreadSeconds} s beside ${load.ok} immediate ones at ${backgroundRate}/s; lateness p50 ${p50.at(-1)!.toFixed(0)} ms, p99 ${p99.at(-1)!.toFixed(0)} ms, max ${max.at(-1)!.toFixed(0)} ms, earliest ${Math.min(...lateness).toFixed(0)} ms${failureNote(load)}`,
      );
    }
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
  await world.reset();
  const under = `${jobs} jobs due over ${spreadSeconds} s, ${backgroundRate}/s immediate beside`;
  return [
    absolute('7. delayed jobs', `start lateness p50 (${under})`, 'ms', figure(p50), {}),
    absolute('7. delayed jobs', `start lateness p99 (${under})`, 'ms', figure(p99), { below: 2000 }, notes || undefined),
    absolute('7. delayed jobs', 'start lateness, latest job', 'ms', figure(max), {}),
  ];
}

/** Submits one workout per due time, SUBMITTING at a time. */
async function submitDelayed(apiUrl: string, dueTimes: string[]): Promise<void> {
  let next = 0;
  const submitter = async () => {
    while (next < dueTimes.length) {
      const runAt = dueTimes[next++];
      const response = await fetch(`${apiUrl}/v1/workouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...benchWorkout(), options: { runAt } }),
      });
      if (response.status !== 202) throw new Error(`a delayed job was answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: SUBMITTING }, submitter));
}
