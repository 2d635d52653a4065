import { BenchProcess, BATON_API, baseline, cores } from '../support/bench-process';
import { absolute, BenchRow, BenchSizes, compared, reported } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { processCpuSeconds } from '../support/cpu';
import { FailureTally, failureNote, runLoad } from '../support/load';
import { figure } from '../support/stats';

/** The two loads: a modest backend's and a busy one's connections to one API process. */
const CONNECTIONS = [32, 100] as const;
const MINIMAL = 'minimal raw';

interface Contender {
  name: string;
  /** How the row names this variant of Baton; none for the minimal server. */
  variant?: string;
  server: BenchProcess;
  idempotencyKeys?: boolean;
}

interface Rounds {
  rps: number[];
  p99: number[];
  cpu: number[];
}

/**
 * 1. Accept rate: POST /v1/workouts, as fast as the server answers, at 32
 * and at 100 connections, against the minimal raw server (node:http,
 * JSON.parse, the workout's fields checked by hand, the job row committed,
 * one publish awaited for its confirm, 202). Baton runs with every feature
 * of its accept on (authentication, the rate limit, metrics, logs at the
 * production level) in its two extremes: the rate limit in memory and no
 * `Idempotency-Key`, and, in a second process, the rate limit in Redis with
 * a fresh `Idempotency-Key` on every request, each feature's heavier path.
 * Each server on one core, autocannon on the other; the contenders' rounds
 * alternate.
 */
export async function acceptRate(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  // LOG_LEVEL info is the default: the level production runs at, not the rest of the benchmark's quieter warn.
  const batonEnv = { ...world.batonEnv(), LOG_LEVEL: 'info' };
  const [baton, batonRedis, minimal] = await Promise.all([
    BenchProcess.start(BATON_API, batonEnv, { cpus: first }),
    BenchProcess.start(BATON_API, { ...batonEnv, REDIS_URL: world.redisUrl }, { cpus: first }),
    BenchProcess.start(baseline('minimal-accept'), { DATABASE_URL: world.databaseUrl, RABBITMQ_URL: world.rabbitmqUrl }, { cpus: first }),
  ]);
  const contenders: Contender[] = [
    { name: 'baton', variant: 'rate limit in memory', server: baton },
    { name: MINIMAL, server: minimal },
    { name: 'baton, Redis, Idempotency-Key', variant: 'rate limit in Redis, Idempotency-Key sent', server: batonRedis, idempotencyKeys: true },
  ];
  const batons = contenders.filter((contender) => contender.variant !== undefined);
  try {
    await Promise.all([...batons.map((contender) => contender.server.ready('health')), minimal.ready('line')]);
    const failures = new FailureTally();
    const rounds = new Map<string, Rounds>();
    const roundsOf = (connections: number, name: string) => {
      const key = `${connections} ${name}`;
      if (!rounds.has(key)) rounds.set(key, { rps: [], p99: [], cpu: [] });
      return rounds.get(key)!;
    };
    const measure = async (contender: Contender, connections: number, seconds: number) => {
      await world.reset();
      const pid = contender.server.child.pid!;
      const cpuBefore = processCpuSeconds(pid);
      const result = await runLoad({
        url: `${contender.server.url}/v1/workouts`,
        body: benchWorkout(),
        headers: { authorization: `Bearer ${BENCH_API_KEY}` },
        idempotencyKeys: contender.idempotencyKeys,
        connections,
        seconds,
        cpus: second,
      });
      // CPU per request: steadier than the rate when other work shares the machine.
      const cpuMicros = (1e6 * (processCpuSeconds(pid) - cpuBefore)) / Math.max(1, result.ok);
      return { result, cpuMicros };
    };

    // The first round warms every server up (JIT, pools, caches) at the higher load and is not counted.
    for (const contender of contenders) {
      const { result, cpuMicros } = await measure(contender, Math.max(...CONNECTIONS), sizes.warmupSeconds);
      log(`  accept ${contender.name} warm-up: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, ${cpuMicros.toFixed(0)} µs CPU per request${failureNote(result)}`);
    }
    for (let round = 1; round <= sizes.rounds; round++) {
      for (const connections of CONNECTIONS) {
        for (const contender of contenders) {
          const { result, cpuMicros } = await measure(contender, connections, sizes.seconds);
          failures.add(`${contender.name} at ${connections}`, result);
          const figures = roundsOf(connections, contender.name);
          figures.rps.push(result.rps);
          figures.p99.push(result.p99);
          figures.cpu.push(cpuMicros);
          log(
            `  accept ${contender.name}, ${connections} connections, round ${round}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, ${cpuMicros.toFixed(0)} µs CPU per request${failureNote(result)}`,
          );
        }
      }
    }

    const rows: BenchRow[] = [];
    for (const connections of CONNECTIONS) {
      const raw = roundsOf(connections, MINIMAL);
      for (const contender of batons) {
        const own = roundsOf(connections, contender.name);
        const label = `${connections} connections, ${contender.variant}`;
        // The failures of every load and contender, once, on the first row.
        const note = rows.length === 0 ? failures.note() : undefined;
        rows.push(
          compared('1. accept rate', `requests/s, ${label}`, 'req/s', figure(own.rps), { name: MINIMAL, figure: figure(raw.rps) }, { ratio: 0.8, higherIsBetter: true }, note),
          compared('1. accept rate', `p99 latency, ${label}`, 'ms', figure(own.p99), { name: MINIMAL, figure: figure(raw.p99) }, { ratio: 1.5, higherIsBetter: false }),
        );
      }
      const plain = roundsOf(connections, batons[0].name);
      rows.push(reported('1. accept rate', `server CPU per request, ${connections} connections`, 'µs', figure(plain.cpu), { name: MINIMAL, figure: figure(raw.cpu) }));
    }
    // VmHWM is the process's peak since it started: every round above, warm-up included.
    const peaks = batons.map((contender) => ({ variant: contender.variant, mib: contender.server.peakRssMiB() }));
    const highest = Math.max(...peaks.map((peak) => peak.mib));
    rows.push(
      absolute('6. footprint', 'API peak RSS under scenario 1 (up to 100 connections)', 'MiB', figure([highest]), { below: 150 }, peaks.map((peak) => `${peak.variant} ${peak.mib.toFixed(0)} MiB`).join(', ')),
    );
    return rows;
  } finally {
    await Promise.all(contenders.map((contender) => contender.server.stop()));
    await world.reset();
  }
}
