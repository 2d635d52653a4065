/**
 * `npm run bench:profile`: where the CPU of scenario 1's accept goes. One
 * server on core 0 (Baton's API as scenario 1 runs it, rate limit in memory;
 * or, with --minimal, the minimal raw server), autocannon on core 1 at 32
 * connections: a warm-up load, a load that measures the server's CPU per
 * request from /proc, then the same load again under V8's sampling profiler.
 * Prints the busy samples by layer, each share also as microseconds of that
 * CPU per request, and writes the profile (a flame graph in Chrome's
 * DevTools, Performance panel) to bench/results/.
 *
 *   npm run bench:profile                     Baton's API
 *   npm run bench:profile -- --minimal        the minimal raw server
 *   npm run bench:profile -- --seconds=30     each measured load (default 20)
 *   npm run bench:profile -- --api=<main.js>  another build's API (another
 *                                             checkout's dist/apps/api/src/main.js),
 *                                             to compare two commits on one machine
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { baseline, BATON_API, BenchProcess, cores } from '../support/bench-process';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { processCpuSeconds } from '../support/cpu';
import { runLoad } from '../support/load';
import { cpuBuckets, CpuProfile } from './cpu-buckets';

const RESULTS = join(__dirname, '..', 'results');
const HOOK = join(__dirname, 'cpu-profile-hook.js');
const WARM_UP_SECONDS = 5;

const USAGE = 'usage: npm run bench:profile -- [--minimal] [--seconds=<1-600>] [--api=<path to an API build\'s main.js>]';

/** The command line, as run-bench.ts reads its own: anything else is refused with the usage. */
function options(argv: string[]): { minimal: boolean; seconds: number; api: string } {
  const refused = argv.filter((arg) => !/^--(minimal|seconds=\d+|api=.+)$/.test(arg));
  const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const seconds = Number(value('seconds') ?? 20);
  const api = value('api') ?? BATON_API;
  if (refused.length > 0 || seconds < 1 || seconds > 600 || !existsSync(api)) {
    const problem = refused.length > 0 ? `unknown argument(s): ${refused.join(' ')}` : !existsSync(api) ? `no API build at ${api} (npm run build)` : `--seconds must be 1 to 600`;
    process.stderr.write(`${problem}\n${USAGE}\n`);
    process.exit(2);
  }
  return { minimal: argv.includes('--minimal'), seconds, api };
}

async function main(): Promise<void> {
  const { minimal, seconds, api } = options(process.argv.slice(2));
  const name = minimal ? 'minimal raw' : 'baton';
  const profilePath = join(RESULTS, `accept-${minimal ? 'minimal' : 'baton'}.cpuprofile`);
  mkdirSync(RESULTS, { recursive: true });
  rmSync(profilePath, { force: true });
  const { first, second } = cores();
  const world = await BenchWorld.create();
  let server: BenchProcess | undefined;
  try {
    const env: Record<string, string> = minimal ? { DATABASE_URL: world.databaseUrl, RABBITMQ_URL: world.rabbitmqUrl } : { ...world.batonEnv(), LOG_LEVEL: 'info' };
    const nodeOptions = [env.NODE_OPTIONS ?? '', `-r ${HOOK}`].join(' ').trim();
    server = await BenchProcess.start(minimal ? baseline('minimal-accept') : api, { ...env, NODE_OPTIONS: nodeOptions, CPU_PROFILE_PATH: profilePath }, { cpus: first });
    await server.ready(minimal ? 'line' : 'health');
    const load = { url: `${server.url}/v1/workouts`, body: benchWorkout(), headers: { authorization: `Bearer ${BENCH_API_KEY}` }, connections: 32, cpus: second };
    await runLoad({ ...load, seconds: WARM_UP_SECONDS });

    const pid = server.child.pid!;
    const cpuBefore = processCpuSeconds(pid);
    const measured = await runLoad({ ...load, seconds });
    const cpuPerRequestUs = ((processCpuSeconds(pid) - cpuBefore) * 1e6) / (measured.ok + measured.failed);

    server.child.kill('SIGUSR2');
    const profiled = await runLoad({ ...load, seconds });
    server.child.kill('SIGUSR2');
    const profile = await profileWritten(profilePath);

    console.log(`${name}: ${Math.round(measured.rps)} requests/s, p99 ${measured.p99} ms, ${Math.round(cpuPerRequestUs)} µs of CPU per request (${measured.failed} failed)`);
    console.log(`under the profiler: ${Math.round(profiled.rps)} requests/s; ${profile.samples.length} samples; ${profilePath}\n`);
    console.log(`| bucket | ${name} | |\n|---|---|---|`);
    for (const bucket of cpuBuckets(profile)) {
      const parts = bucket.parts ? ` (${bucket.parts.join(', ')})` : '';
      console.log(`| ${bucket.name}${parts} | ${(100 * bucket.share).toFixed(1)} % | ${Math.round(bucket.share * cpuPerRequestUs)} µs |`);
    }
  } finally {
    if (server) await server.stop();
    await world.close();
  }
}

/** The profile, once the hook has written it whole (after the second signal, in its own time). */
async function profileWritten(path: string): Promise<CpuProfile> {
  for (let tries = 0; tries < 100; tries++) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no profile was written to ${path}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
