import { BenchProcess, BATON_API, baseline, cores } from '../support/bench-process';
import { BenchRow, BenchSizes, compared, reported } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { processCpuSeconds } from '../support/cpu';
import { FailureTally, failureNote, runLoad } from '../support/load';
import { figure } from '../support/stats';

/**
 * 1. Accept rate: POST /v1/workouts with 100 connections against one API
 * process, and against the raw accept baseline doing the same durable work
 * (validate, insert the job row, publish with a confirm, 202). The server on
 * one core, autocannon on the other.
 */
export async function acceptRate(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  const baton = await BenchProcess.start(BATON_API, world.batonEnv(), { cpus: first });
  const raw = await BenchProcess.start(baseline('raw-accept'), { DATABASE_URL: world.databaseUrl, RABBITMQ_URL: world.rabbitmqUrl }, { cpus: first });
  try {
    await baton.ready('health');
    await raw.ready('line');
    const failures = new FailureTally();
    const rounds = { baton: { rps: [] as number[], p99: [] as number[], cpu: [] as number[] }, raw: { rps: [] as number[], p99: [] as number[], cpu: [] as number[] } };
    for (let round = 0; round <= sizes.rounds; round++) {
      for (const [name, server] of [['baton', baton], ['raw', raw]] as const) {
        await world.reset();
        const cpuBefore = processCpuSeconds(server.child.pid!);
        const result = await runLoad({
          url: `${server.url}/v1/workouts`,
          body: benchWorkout(),
          headers: { authorization: `Bearer ${BENCH_API_KEY}` },
          connections: sizes.connections,
          // The first round warms both up (JIT, pools, caches) and is not counted.
          seconds: round === 0 ? sizes.warmupSeconds : sizes.seconds,
          cpus: second,
        });
        if (round > 0) failures.add(name, result);
        // CPU per request: steadier than the rate when other work shares the machine.
        const cpuMicros = (1e6 * (processCpuSeconds(server.child.pid!) - cpuBefore)) / Math.max(1, result.ok);
        if (round > 0) {
          rounds[name].rps.push(result.rps);
          rounds[name].p99.push(result.p99);
          rounds[name].cpu.push(cpuMicros);
        }
        log(`  accept ${name} round ${round}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, ${cpuMicros.toFixed(0)} µs CPU per request${failureNote(result)}`);
      }
    }
    return [
      compared('1. accept rate', 'requests/s', 'req/s', figure(rounds.baton.rps), { name: 'raw accept', figure: figure(rounds.raw.rps) }, { ratio: 0.8, higherIsBetter: true }, failures.note()),
      compared('1. accept rate', 'p99 latency', 'ms', figure(rounds.baton.p99), { name: 'raw accept', figure: figure(rounds.raw.p99) }, { ratio: 1.5, higherIsBetter: false }),
      reported('1. accept rate', 'server CPU per request', 'µs', figure(rounds.baton.cpu), { name: 'raw accept', figure: figure(rounds.raw.cpu) }),
    ];
  } finally {
    await Promise.all([baton.stop(), raw.stop()]);
    await world.reset();
  }
}
