import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PostgresStandby } from '../../test/support/postgres-standby';
import { runCli } from '../../test/support/processes';
import { storeApiKey } from '../../test/support/api-keys';
import { BATON_API, BATON_WORKER, BenchProcess, cores } from '../support/bench-process';
import { BenchRow, BenchSizes, compared, reported } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { figure } from '../support/stats';

const SCENARIO = '11. polling reads';
const POLLING_LOAD = join(__dirname, '..', 'support', 'polling-load.js');
const DATABASE = 'baton_bench_polling';
/** A mobile client polling once a second, three times: the first poll is as old as the bound, so every poll may go to a replica. */
const POLL_AFTER_MS = [1000, 2000, 3000];
const MIN_AGE_MS = 1000;
/**
 * Accepts offered a second: what this 2-core machine's whole pipeline (the
 * API, a worker, the primary and its standby, RabbitMQ and the load) takes
 * with room to spare, so that the rows measure what polling costs rather
 * than a saturated machine's queue (at 200 a second it is 100 % busy before
 * the first poll).
 */
const ACCEPT_RATE = 100;
/** Sockets the accepts may use at once: far more than the offered rate needs, so that a slow answer queues nothing behind it. */
const CONNECTIONS = 20;
/** The statement GET /v1/jobs/:id runs (TypeORM's alias), counted on the primary by pg_stat_statements. */
const JOB_BY_ID = 'FROM "jobs" "JobEntity"';

interface Variant {
  name: string;
  polls: boolean;
  env: (cluster: PostgresStandby, world: BenchWorld) => Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'no polling', polls: false, env: () => ({}) },
  { name: 'polling, primary only', polls: true, env: () => ({}) },
  { name: 'polling, replica', polls: true, env: (cluster) => ({ DATABASE_READ_URL: cluster.standbyUrl(DATABASE), DATABASE_READ_MIN_AGE_MS: String(MIN_AGE_MS) }) },
  {
    name: 'polling, replica + cache',
    polls: true,
    // The read cache takes REDIS_URL; until it is there, this is the replica variant with Redis set.
    env: (cluster, world) => ({ DATABASE_READ_URL: cluster.standbyUrl(DATABASE), DATABASE_READ_MIN_AGE_MS: String(MIN_AGE_MS), REDIS_URL: world.redisUrl }),
  },
];

interface Window {
  accepted: number;
  acceptFailed: number;
  /** Of the accepts answered in the window, from the moment each was due to be sent. */
  acceptP99Ms: number | null;
  polls: number;
  pollFailed: number;
  failures: Record<string, number>;
  /** Calls of the GET's statement on the primary during the window. */
  primaryReads: number;
}

/**
 * 11. Polling reads: POST /v1/workouts at 100 a second (ACCEPT_RATE), sent on schedule whatever the answers (an open loop, as
 * users submit), and for every 202 three GETs of its status URL, 1, 2 and
 * 3 s later, as mobile backends poll; a worker completes the jobs. On a
 * primary and a hot standby of the scenario's own (test/support/postgres-
 * standby.ts, the same for every variant), four ways: no polling; polling
 * with the primary alone; with the standby as DATABASE_READ_URL; with the
 * standby and REDIS_URL (the read cache). Reports each polling variant's
 * accept rate against no polling (target: at most 10 % lower), its accept
 * p99 beside no polling's, and the
 * primary's job reads per poll, counted by the primary's own
 * pg_stat_statements (calls of the statement GET /v1/jobs/:id runs),
 * against the primary alone (target with replica and cache: 90 % fewer).
 */
export async function pollingReads(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const cluster = await PostgresStandby.create();
  try {
    await cluster.createDatabase(DATABASE);
    const url = cluster.primaryUrl(DATABASE);
    const migrated = await runCli(['migrate'], { DATABASE_URL: url });
    if (migrated.code !== 0) throw new Error(`baton migrate failed:\n${migrated.output}`);
    await storeApiKey(url, { key: BENCH_API_KEY, tenant: 'bench' });
    const results = new Map<string, Window[]>();
    for (const variant of VARIANTS) {
      const started = Date.now();
      await cluster.query(DATABASE, 'TRUNCATE jobs, workouts CASCADE');
      await world.reset();
      const windows = await measure(world, cluster, variant, sizes, log);
      results.set(variant.name, windows);
      log(`  ${variant.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const [index, window] of windows.entries()) {
        const failed = window.acceptFailed + window.pollFailed > 0 ? `; failed: ${JSON.stringify(window.failures)}` : '';
        log(`  ${variant.name} window ${index + 1}: ${(window.accepted / sizes.polling.windowSeconds).toFixed(0)} accepts/s (p99 ${window.acceptP99Ms?.toFixed(1)} ms), ${window.polls} polls, ${window.primaryReads} job reads on the primary${failed}`);
      }
    }
    const acceptRate = (name: string) => figure(results.get(name)!.map((window) => window.accepted / sizes.polling.windowSeconds));
    const acceptP99 = (name: string) => figure(results.get(name)!.flatMap((window) => (window.acceptP99Ms === null ? [] : [window.acceptP99Ms])));
    const primaryReadsPerPoll = (name: string) => figure(results.get(name)!.map((window) => window.primaryReads / Math.max(1, window.polls)));
    const noPolling = { name: 'no polling', figure: acceptRate('no polling') };
    const noPollingP99 = { name: 'no polling', figure: acceptP99('no polling') };
    const primaryOnly = { name: 'polling, primary only', figure: primaryReadsPerPoll('polling, primary only') };
    const failures = (name: string) => {
      const windows = results.get(name)!;
      const failed = windows.reduce((sum, window) => sum + window.acceptFailed + window.pollFailed, 0);
      return failed > 0 ? `failed requests: ${failed} of ${windows.reduce((sum, window) => sum + window.accepted + window.polls + window.acceptFailed + window.pollFailed, 0)}` : undefined;
    };
    return [
      ...VARIANTS.filter((variant) => variant.polls).map((variant) =>
        compared(SCENARIO, `accept rate, ${variant.name}`, 'req/s', acceptRate(variant.name), noPolling, { ratio: 0.9, higherIsBetter: true }, failures(variant.name)),
      ),
      ...VARIANTS.filter((variant) => variant.polls).map((variant) => reported(SCENARIO, `accept p99, ${variant.name}`, 'ms', acceptP99(variant.name), noPollingP99)),
      reported(SCENARIO, 'primary job reads per poll, replica', 'reads', primaryReadsPerPoll('polling, replica'), primaryOnly),
      compared(SCENARIO, 'primary job reads per poll, replica + cache', 'reads', primaryReadsPerPoll('polling, replica + cache'), primaryOnly, { ratio: 0.1, higherIsBetter: false }),
    ];
  } finally {
    await cluster.dispose();
  }
}

/** One variant: an API (first core) and a worker on the cluster, the load (second core), counted window by window after a warm-up window. */
async function measure(world: BenchWorld, cluster: PostgresStandby, variant: Variant, sizes: BenchSizes, log: (line: string) => void): Promise<Window[]> {
  const { first, second } = cores();
  const env = { ...world.batonEnv(), DATABASE_URL: cluster.primaryUrl(DATABASE), ...variant.env(cluster, world) };
  const api = await BenchProcess.start(BATON_API, env, { cpus: first });
  const worker = await BenchProcess.start(BATON_WORKER, { ...env, WORKER_QUEUES: 'workouts' });
  try {
    await Promise.all([api.ready('health'), worker.ready('health')]);
    const { windows, windowSeconds, warmupSeconds } = sizes.polling;
    const spec = {
      url: api.url,
      path: '/v1/workouts',
      connections: CONNECTIONS,
      acceptRate: ACCEPT_RATE,
      pollAfterMs: variant.polls ? POLL_AFTER_MS : [],
      windows: [warmupSeconds, ...Array.from({ length: windows }, () => windowSeconds)],
      headers: { authorization: `Bearer ${BENCH_API_KEY}` },
      body: JSON.stringify(benchWorkout()),
    };
    const command = second === undefined ? [process.execPath, POLLING_LOAD] : ['taskset', '-c', second, process.execPath, POLLING_LOAD];
    const load = spawn(command[0], [...command.slice(1), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => load.once('exit', resolve));
    const measured: Window[] = [];
    let readsBefore = await cluster.calls('primary', DATABASE, JOB_BY_ID);
    for await (const line of createInterface({ input: load.stdout! })) {
      // Taken as the window ends: the primary's count of the GET's statement.
      const reads = await cluster.calls('primary', DATABASE, JOB_BY_ID);
      const window = JSON.parse(line) as Omit<Window, 'primaryReads'> & { window: number };
      if (window.window > 0) measured.push({ ...window, primaryReads: reads - readsBefore });
      readsBefore = reads;
    }
    if ((await exited) !== 0) throw new Error(`the polling load exited with ${load.exitCode}`);
    log(`  ${variant.name}: the API's routed reads, warm-up included: ${(await routedReads(api.url)) || 'none (no DATABASE_READ_URL)'}`);
    return measured;
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
}

/** baton_database_reads_total from the API's /metrics, e.g. "replica/fresh 120, primary/too-young 3". */
async function routedReads(apiUrl: string): Promise<string> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  return [...text.matchAll(/^baton_database_reads_total\{target="(\w+)",reason="([\w-]+)"\} (\d+)$/gm)]
    .filter((match) => match[3] !== '0')
    .map((match) => `${match[1]}/${match[2]} ${match[3]}`)
    .join(', ');
}
