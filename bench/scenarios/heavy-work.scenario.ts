import { BenchProcess, BATON_API, BATON_WORKER, cores } from '../support/bench-process';
import { absolute, BenchRow, BenchSizes, compared } from '../support/bench-row';
import { BENCH_API_KEY, benchWorkout, BenchWorld } from '../support/bench-world';
import { CpuMeter } from '../support/cpu';
import { FailureTally, failureNote, runLoad } from '../support/load';
import { figure } from '../support/stats';
import { invoiceBody } from '../../test/support/fixtures';

const INVOICE_WORKERS = 2;
const API_RATE = 300;

/**
 * 4. Heavy work off the request path: the API (and its load) on one core
 * under a steady load, while invoice workers on the other core are idle, then
 * render PDFs flat out from a full queue, as separate pods would. The API's
 * p99 should barely move; PDFs per second per worker process are reported.
 */
export async function heavyWork(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { first, second } = cores();
  const api = await BenchProcess.start(BATON_API, world.batonEnv(), { cpus: first });
  const workers = await Promise.all(
    Array.from({ length: INVOICE_WORKERS }, () =>
      BenchProcess.start(BATON_WORKER, { ...world.batonEnv(), WORKER_QUEUES: 'invoices', WORKER_CONCURRENCY: '2' }, { cpus: second }),
    ),
  );
  const p99 = { idle: [] as number[], busy: [] as number[] };
  const pdfRates: number[] = [];
  // How busy the whole machine was in each kind of round: what the API's p99 waits behind.
  const machineBusy = { idle: [] as number[], busy: [] as number[] };
  let workerRss: number[] = [];
  const failures = new FailureTally();
  try {
    await api.ready('health');
    await Promise.all(workers.map((worker) => worker.ready('health')));
    for (let round = 0; round <= sizes.rounds; round++) {
      for (const state of ['idle', 'busy'] as const) {
        await world.reset();
        // More invoices than the workers can render in the round: they never run out.
        if (state === 'busy') await world.prefill('invoices', 400 * sizes.seconds + 400, (index) => invoiceBody({ orderId: `bench-${index}` }));
        const startedAt = await world.query<{ now: Date }>(`SELECT now()`);
        const cpu = new CpuMeter({ api: api.child.pid!, ...Object.fromEntries(workers.map((worker, index) => [`worker ${index + 1}`, worker.child.pid!])) });
        const load = await runLoad({
          url: `${api.url}/v1/workouts`,
          body: benchWorkout(),
          headers: { authorization: `Bearer ${BENCH_API_KEY}` },
          connections: 50,
          rate: API_RATE,
          seconds: round === 0 ? sizes.warmupSeconds : sizes.seconds,
          cpus: first,
        });
        if (round > 0) failures.add(state === 'busy' ? 'workers rendering' : 'workers idle', load);
        const usage = cpu.describe();
        if (round > 0) machineBusy[state].push(cpu.read().machineBusy);
        if (state === 'busy') {
          const [done] = await world.query<{ rendered: number; seconds: number }>(
            `SELECT count(*)::int AS rendered, extract(epoch FROM now() - $1::timestamptz)::float8 AS seconds FROM jobs WHERE type = 'invoices' AND status = 'completed'`,
            [startedAt[0].now],
          );
          const rate = done.rendered / done.seconds / INVOICE_WORKERS;
          if (round > 0) pdfRates.push(rate);
          log(`  heavy work round ${round}: ${rate.toFixed(1)} PDFs/s per worker`);
        }
        if (round > 0) p99[state].push(load.p99);
        log(`  heavy work ${state} round ${round}: API p99 ${load.p99} ms at ${load.rps.toFixed(0)} req/s (${usage})${failureNote(load)}`);
      }
    }
    workerRss = workers.map((worker) => worker.peakRssMiB());
  } finally {
    await Promise.all([api.stop(), ...workers.map((worker) => worker.stop())]);
    await world.reset();
  }
  // Only the API, its load and the workers can be pinned: the machine's PostgreSQL and
  // RabbitMQ float over both cores, so with two cores they take turns with the API on its own.
  const contention =
    cores().first === undefined
      ? 'one core: nothing pinned'
      : `machine ${figure(machineBusy.idle).median.toFixed(0)}% busy with the workers idle, ${figure(machineBusy.busy).median.toFixed(0)}% while they render (medians); PostgreSQL and RabbitMQ, unpinned, share the API's core`;
  return [
    compared(
      '4. heavy work elsewhere',
      `API p99 at ${API_RATE}/s, workers rendering`,
      'ms',
      figure(p99.busy),
      { name: 'workers idle', figure: figure(p99.idle) },
      { ratio: 1.2, higherIsBetter: false },
      [contention, failures.note()].filter(Boolean).join('; '),
    ),
    absolute('4. heavy work elsewhere', 'invoice PDFs per worker process', 'PDFs/s', figure(pdfRates), {}),
    absolute('6. footprint', 'invoice worker peak RSS, rendering flat out', 'MiB', figure([Math.max(...workerRss)]), { below: 150 }),
  ];
}
