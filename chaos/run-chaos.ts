/**
 * `npm run chaos`: drives the built API and worker processes (dist/) through
 * fourteen faults, each against a RabbitMQ node (10 to 12: a three-node
 * cluster) and a PostgreSQL database of its own (13 and 14: a process behind
 * a half-open network partition), and prints one table: what was accepted,
 * completed, dead, lost and applied twice, and the longest a job waited,
 * measured from the rows. Exits 1 if any scenario lost a job,
 * applied one twice, failed to drain or failed a check of its own.
 *
 *   npm run chaos                      full sizes (several minutes)
 *   npm run chaos -- --quick           CI sizes (CHAOS_SIZE=quick)
 *   npm run chaos -- --seed=1234       replay the harness's choices (CHAOS_SEED)
 *   npm run chaos -- --only=1,5        some scenarios only (CHAOS_ONLY)
 *
 * A plain ts-node script rather than a jest suite: one table is its whole
 * output, and jest would wrap it in its own. It imports test/support by
 * relative path and needs no `@baton/*` alias: the processes run from dist/,
 * and databases are migrated by Baton's own `migrate` command.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RABBITMQCTL } from '../test/support/env';
import { API_MAIN, CLI_MAIN, WORKER_MAIN } from '../test/support/processes';
import { apiKills } from './scenarios/api-kills.scenario';
import { apiPartition } from './scenarios/api-partition.scenario';
import { brokerRestart } from './scenarios/broker-restart.scenario';
import { clusterLeaderKill } from './scenarios/cluster-leader-kill.scenario';
import { clusterNodeLost } from './scenarios/cluster-node-lost.scenario';
import { clusterRollingRestart } from './scenarios/cluster-rolling-restart.scenario';
import { databaseOutage } from './scenarios/database-outage.scenario';
import { emailBurst } from './scenarios/email-burst.scenario';
import { eventSubscriber } from './scenarios/event-subscriber.scenario';
import { poisonJobs } from './scenarios/poison-jobs.scenario';
import { rollingRestart } from './scenarios/rolling-restart.scenario';
import { webhookBurst } from './scenarios/webhook-burst.scenario';
import { workerKills } from './scenarios/worker-kills.scenario';
import { workerPartition } from './scenarios/worker-partition.scenario';
import { checkPostgres } from './support/chaos-database';
import { markdownTable, RunSummary, textTable } from './support/results-table';
import { LoadSize, runScenario, ScenarioDefinition, ScenarioResult, SizeName } from './support/scenario';
import { randomSeed, SeededRandom } from './support/seeded-random';
import { closeOpenStages } from './support/stage';

const run = promisify(execFile);

const SCENARIOS: Array<ScenarioDefinition<any>> = [
  workerKills,
  brokerRestart,
  apiKills,
  databaseOutage,
  poisonJobs,
  rollingRestart,
  emailBurst,
  webhookBurst,
  eventSubscriber,
  clusterLeaderKill,
  clusterNodeLost,
  clusterRollingRestart,
  workerPartition,
  apiPartition,
];
const DRAIN_TIMEOUT_MS: Record<SizeName, number> = { quick: 90_000, full: 240_000 };
const RESULTS_DIR = join(__dirname, 'results');

interface Options {
  size: SizeName;
  seed: number;
  only?: Set<number>;
}

function parseOptions(argv: string[]): Options {
  const flag = (name: string) => argv.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  const value = (name: string, env: string) => flag(name)?.split('=')[1] ?? process.env[env];
  const unknown = argv.filter((arg) => !/^--(quick|full|size=\w+|seed=\d+|only=[\d,]+|help)$/.test(arg));
  if (flag('help') || unknown.length > 0) {
    if (unknown.length > 0) process.stderr.write(`unknown argument(s): ${unknown.join(' ')}\n`);
    process.stderr.write('usage: npm run chaos -- [--quick | --full] [--seed=N] [--only=1,2,…]\n');
    process.exit(flag('help') ? 0 : 2);
  }
  const size = flag('quick') ? 'quick' : flag('full') ? 'full' : (value('size', 'CHAOS_SIZE') ?? 'full');
  if (size !== 'quick' && size !== 'full') throw new Error(`size must be quick or full, not ${size}`);
  const seedText = value('seed', 'CHAOS_SEED');
  const seed = seedText ? Number(seedText) : randomSeed();
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, not ${seedText}`);
  const onlyText = value('only', 'CHAOS_ONLY');
  const only = onlyText ? new Set(onlyText.split(',').map(Number)) : undefined;
  if (only && [...only].some((id) => !SCENARIOS.some((scenario) => scenario.id === id))) throw new Error(`--only names scenarios ${SCENARIOS.map((scenario) => scenario.id).join(', ')}`);
  return { size, seed, only };
}

/**
 * What the run needs, checked before anything starts: the built processes,
 * PostgreSQL, a RabbitMQ installation to start nodes from, and for the
 * partition scenarios root and iproute2 (network namespaces).
 */
async function checkPrerequisites(scenarios: Array<ScenarioDefinition<any>>): Promise<void> {
  const problems: string[] = [];
  for (const main of [API_MAIN, WORKER_MAIN, CLI_MAIN]) {
    if (!existsSync(main)) problems.push(`${main} is missing: run \`npm run build\``);
  }
  await checkPostgres().catch((error: Error) => problems.push(error.message));
  for (const command of ['rabbitmq-server', RABBITMQCTL]) {
    await run('sh', ['-c', `command -v "$0"`, command]).catch(() =>
      problems.push(`${command} is not on PATH: each scenario starts a RabbitMQ node of its own (the rabbitmq-server package)`),
    );
  }
  const isolating = scenarios.filter((scenario) => scenario.stage(scenario.sizes.quick).isolate !== undefined);
  if (isolating.length > 0) {
    await run('ip', ['netns', 'list']).catch((error: Error) =>
      problems.push(`scenarios ${isolating.map((scenario) => scenario.id).join(', ')} run a process in a network namespace: they need root and iproute2 (\`ip netns\`): ${error.message}`),
    );
    if (process.getuid?.() !== 0) problems.push(`scenarios ${isolating.map((scenario) => scenario.id).join(', ')} create network namespaces: run as root, or leave them out with --only`);
  }
  if (problems.length > 0) throw new Error(`the chaos run cannot start:\n  ${problems.join('\n  ')}`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[chaos ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
  const selected = SCENARIOS.filter((candidate) => !options.only || options.only.has(candidate.id));
  await checkPrerequisites(selected);
  log(`mode ${options.size}, seed ${options.seed}`);

  const logDir = join(RESULTS_DIR, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  const random = new SeededRandom(options.seed);
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    log(`scenario ${scenario.id}: ${scenario.title}`);
    const result = await runScenario(scenario as ScenarioDefinition<LoadSize>, {
      size: options.size,
      random,
      drainTimeoutMs: DRAIN_TIMEOUT_MS[options.size],
      logDir,
      log: (line) => log(`  ${scenario.id}. ${line}`),
    });
    results.push(result);
    log(`scenario ${scenario.id}: ${result.ok ? 'ok' : 'FAILED'} in ${result.seconds.toFixed(0)} s`);
  }

  const summary: RunSummary = { mode: options.size, seed: options.seed, seconds: (Date.now() - started) / 1000, results };
  process.stdout.write(`\n${textTable(summary)}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.md'), markdownTable(summary));
  const failed = results.some((result) => !result.ok);
  if (existsSync(logDir)) process.stderr.write(`\nprocess logs of the scenarios that failed or saw a process exit unasked: ${logDir}\n`);
  return failed ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping every process and node, dropping the databases…\n`);
    void closeOpenStages().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`chaos: ${error.message}\n`);
    void closeOpenStages().finally(() => process.exit(1));
  },
);
