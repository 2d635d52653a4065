/**
 * `npm run bench`: Baton's speed against the best a hand-written program does
 * on the same machine (bench/baselines/) and against BullMQ, in one run, on
 * the machine's PostgreSQL, RabbitMQ and Redis. Prints one table and writes
 * it as JSON and Markdown under bench/results/. Figures are medians of
 * several rounds after a warm-up round, with their min and max.
 *
 *   npm run bench                  full sizes
 *   npm run bench -- --quick       CI sizes: it runs end to end, no figure is asserted
 *   npm run bench -- --only=1,3    some scenarios
 *
 * Like the chaos suite, a plain ts-node script importing test/support by path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { acceptRate } from './scenarios/accept-rate.scenario';
import { dashboardSearch } from './scenarios/dashboard-search.scenario';
import { delayedJobs } from './scenarios/delayed-jobs.scenario';
import { batchAccept } from './scenarios/batch-accept.scenario';
import { endToEnd } from './scenarios/end-to-end.scenario';
import { heavyWork } from './scenarios/heavy-work.scenario';
import { horizontalScale } from './scenarios/horizontal-scale.scenario';
import { pollingReads } from './scenarios/polling-reads.scenario';
import { retentionSweep } from './scenarios/retention-sweep.scenario';
import { startUp } from './scenarios/start-up.scenario';
import { workerThroughput } from './scenarios/worker-throughput.scenario';
import { BenchRow, BenchSizes, Size, SIZES } from './support/bench-row';
import { BenchWorld } from './support/bench-world';
import { markdownReport, textReport } from './support/report';

type Scenario = (world: BenchWorld, sizes: BenchSizes, log: (line: string) => void) => Promise<BenchRow[]>;

// Scenario 6 (footprint) is measured within 3 (memory under load) and on its own (start-up).
const SCENARIOS: Array<[number[], Scenario]> = [
  [[1], acceptRate],
  [[2], workerThroughput],
  [[3, 6], endToEnd],
  [[4], heavyWork],
  [[5], horizontalScale],
  [[6], startUp],
  [[7], delayedJobs],
  [[8], batchAccept],
  [[9], retentionSweep],
  [[10], dashboardSearch],
  [[11], pollingReads],
];
const RESULTS = join(__dirname, 'results');

function options(argv: string[]): { size: Size; only?: Set<number> } {
  const unknown = argv.filter((arg) => !/^--(quick|only=[\d,]+)$/.test(arg));
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument(s): ${unknown.join(' ')}\nusage: npm run bench -- [--quick] [--only=1,3]\n`);
    process.exit(2);
  }
  const only = argv.find((arg) => arg.startsWith('--only='));
  return { size: argv.includes('--quick') ? 'quick' : 'full', only: only ? new Set(only.slice(7).split(',').map(Number)) : undefined };
}

async function main(): Promise<number> {
  const { size, only } = options(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const world = await BenchWorld.create();
  const rows: BenchRow[] = [];
  try {
    for (const [ids, scenario] of SCENARIOS) {
      if (only && !ids.some((id) => only.has(id))) continue;
      log(`scenario ${ids.join(' and ')}: ${scenario.name}`);
      rows.push(...(await scenario(world, SIZES[size], log)));
    }
  } finally {
    await world.close();
  }
  // In scenario order (6's memory figures are taken during 3).
  rows.sort((a, b) => parseInt(a.scenario, 10) - parseInt(b.scenario, 10));
  const report = {
    size,
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    rows,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), markdownReport(report));
  process.stdout.write(`${textReport(report)}\n`);
  // Targets are reported, not enforced: the figures depend on the machine.
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
