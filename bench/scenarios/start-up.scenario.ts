import { BenchProcess, BATON_API, BATON_WORKER } from '../support/bench-process';
import { absolute, BenchRow, BenchSizes } from '../support/bench-row';
import { BenchWorld } from '../support/bench-world';
import { figure } from '../support/stats';

/** 6. Footprint, start-up: from process start to ready (probes answering 200), which autoscaling waits on. */
export async function startUp(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const times = { api: [] as number[], worker: [] as number[] };
  for (let round = 0; round < sizes.rounds; round++) {
    for (const [name, main] of [['api', BATON_API], ['worker', BATON_WORKER]] as const) {
      const child = await BenchProcess.start(main, world.batonEnv());
      try {
        const ms = await child.ready('health');
        times[name].push(ms / 1000);
        log(`  start-up ${name} round ${round + 1}: ${ms.toFixed(0)} ms`);
      } finally {
        await child.stop();
      }
    }
  }
  return [
    absolute('6. footprint', 'API start to ready', 's', figure(times.api), { below: 2 }),
    absolute('6. footprint', 'worker start to ready', 's', figure(times.worker), { below: 2 }),
  ];
}
