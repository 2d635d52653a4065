/**
 * `npm run soak -- --minutes N`: a steady mixed load (workouts, invoices,
 * emails to a test SMTP server, a webhook per completed job) against the
 * built API and one worker per queue (dist/), on a RabbitMQ node and a
 * PostgreSQL database of the run's own, with a worker replaced (SIGTERM,
 * graceful) every few minutes. Samples each process's RSS, heap used,
 * active handles, event-loop lag and PostgreSQL sessions, and the queue
 * depths; after warm-up fits a least-squares slope per series and fails if
 * one grows beyond its tolerance (series-verdicts.ts), if a process holds
 * more sessions than its pool, or if anything accepted is lost or applied
 * twice (counted from the rows and from what the test servers received).
 *
 *   npm run soak -- --minutes 30
 *   npm run soak -- --minutes 4 --restart-every-minutes 1 --warmup-minutes 1.5
 *
 * A plain ts-node script like the chaos runner, whose stage it reuses.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkPostgres } from '../chaos/support/chaos-database';
import { unfinishedJobs } from '../chaos/support/measurement';
import { ProcessGroup } from '../chaos/support/process-group';
import { describeExit } from '../chaos/support/scenario';
import { closeOpenStages, Stage } from '../chaos/support/stage';
import { TEST_API_KEY } from '../test/support/api-keys';
import { RABBITMQCTL } from '../test/support/env';
import { API_MAIN, CLI_MAIN, WORKER_MAIN } from '../test/support/processes';
import { TestSmtpServer } from '../test/support/smtp-server';
import { WebhookReceiver } from '../test/support/webhook-receiver';
import { MixedLoad } from './support/mixed-load';
import { ProcessSampler } from './support/process-sampler';
import { account } from './support/soak-accounting';
import { parseSoakOptions } from './support/soak-options';
import { markdownReport, SoakReport, textReport } from './support/soak-report';
import { seriesVerdicts } from './support/series-verdicts';

const run = promisify(execFile);
const RESULTS_DIR = join(__dirname, 'results');
/** One worker group per queue, as the chart deploys them. */
const WORKER_GROUPS = ['workouts', 'invoices', 'emails', 'webhooks'] as const;
/** Requests per second: a steady load this shared 2-core machine carries with room to spare (an invoice renders a PDF). */
const RATES = { workouts: 5, invoices: 0.5, emails: 1 };
const SAMPLE_INTERVAL_MS = 5_000;
const DRAIN_TIMEOUT_MS = 180_000;
// The stage's DATABASE_POOL_SIZE; the API holds one session more, its key change feed's LISTEN.
const POOL_SIZE = 6;
const SESSIONS_ALLOWED = POOL_SIZE + 1;
const REFUSED_SHARE_ALLOWED = 0.01;
const WEBHOOK_PATH = '/soak/job-completed';

async function checkPrerequisites(): Promise<void> {
  const problems: string[] = [];
  for (const main of [API_MAIN, WORKER_MAIN, CLI_MAIN]) if (!existsSync(main)) problems.push(`${main} is missing: run \`npm run build\``);
  await checkPostgres().catch((error: Error) => problems.push(error.message));
  for (const command of ['rabbitmq-server', RABBITMQCTL]) {
    await run('sh', ['-c', `command -v "$0"`, command]).catch(() => problems.push(`${command} is not on PATH: the soak starts a RabbitMQ node of its own`));
  }
  if (problems.length > 0) throw new Error(`the soak cannot start:\n  ${problems.join('\n  ')}`);
}

async function registerWebhook(api: string, url: string): Promise<void> {
  const response = await fetch(`${api}/v1/webhook-endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, events: ['job.completed'], description: 'soak' }),
  });
  if (response.status !== 201) throw new Error(`registering the webhook endpoint answered ${response.status}: ${await response.text()}`);
}

const sleep = (ms: number, cancelled: () => boolean) =>
  new Promise<void>((resolve) => {
    const end = Date.now() + ms;
    const timer = setInterval(() => (Date.now() >= end || cancelled()) && (clearInterval(timer), resolve()), 250);
  });

async function main(): Promise<number> {
  const options = parseSoakOptions(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(1).padStart(7)}s] ${line}\n`);
  await checkPrerequisites();
  log(`${options.minutes} min of load, a worker replaced every ${options.restartEveryMinutes} min, ${options.warmupMinutes} min warm-up per process`);

  const failures: string[] = [];
  const smtp = await TestSmtpServer.start();
  const receiver = await WebhookReceiver.start();
  let stage: Stage | undefined;
  try {
    stage = await Stage.open({
      slug: 'soak',
      env: {
        DISABLED_JOB_TYPES: '',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Soak Shop <shop@example.com>',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_ALLOW_HTTP: '1',
        DATABASE_POOL_SIZE: String(POOL_SIZE),
      },
    });
    const workers = new Map<string, ProcessGroup>(WORKER_GROUPS.map((queue) => [queue, stage!.addWorkerGroup(`soak-worker-${queue}`, { WORKER_QUEUES: queue })]));
    log('starting the API and one worker per queue');
    await Promise.all([stage.apis.start(1), ...[...workers.values()].map((group) => group.start(1))]);
    const apis = stage.apis;
    const target = () => apis.pickServing((items) => items[0]);
    await registerWebhook(target()!, receiver.url(WEBHOOK_PATH));

    const loadStarted = Date.now();
    const groups = [{ label: 'api', group: apis }, ...[...workers].map(([label, group]) => ({ label, group }))];
    const sampler = new ProcessSampler(groups, apis, stage.db, loadStarted);
    sampler.start(SAMPLE_INTERVAL_MS);
    const load = new MixedLoad(RATES, target);
    log(`load: ${Object.entries(RATES).map(([kind, rate]) => `${rate}/s ${kind}`).join(', ')}; a webhook per completed job`);

    const loadEnd = loadStarted + options.minutes * 60_000;
    const restarts: string[] = [];
    for (let turn = 0; ; turn++) {
      const next = loadStarted + (turn + 1) * options.restartEveryMinutes * 60_000;
      if (next >= loadEnd) break;
      await sleep(next - Date.now(), () => interrupted);
      if (interrupted) break;
      const queue = WORKER_GROUPS[turn % WORKER_GROUPS.length];
      const { name, exit } = await workers.get(queue)!.replace(1);
      sampler.noteMembers();
      restarts.push(name);
      log(`replaced ${name} (${queue}): ${describeExit(exit)}`);
      if (exit.code !== 0) failures.push(`${name} did not exit 0 after SIGTERM: ${describeExit(exit)}`);
    }
    await sleep(loadEnd - Date.now(), () => interrupted);
    await load.stop();
    await sampler.stop();
    log(`load over: ${load.submissions.length} sent; draining`);

    const drainStarted = Date.now();
    let drained = false;
    while (Date.now() - drainStarted < DRAIN_TIMEOUT_MS) {
      const [{ pending }] = await stage.db.query<{ pending: number }>(`SELECT count(*)::int AS pending FROM webhook_deliveries WHERE status = 'pending'`);
      if ((await unfinishedJobs(stage.db)) === 0 && pending === 0) {
        drained = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (!drained) failures.push(`jobs or webhook deliveries still pending ${DRAIN_TIMEOUT_MS / 1000} s after the load`);
    const drainSeconds = (Date.now() - drainStarted) / 1000;

    const unplanned = stage.processGroups.flatMap((group) => group.unplannedExits);
    for (const record of unplanned) failures.push(`${record.name} exited unasked: ${describeExit(record.exit)}`);
    const exits = (await Promise.all(stage.processGroups.map((group) => group.stop()))).flat();
    for (const record of exits.filter((candidate) => candidate.exit.code !== 0)) failures.push(`${record.name} did not exit 0 after SIGTERM at the end: ${describeExit(record.exit)}`);

    const accounts = await account(stage.db, load, smtp.mailbox, receiver, WEBHOOK_PATH);
    for (const entry of accounts) {
      if (entry.lost > 0) failures.push(`${entry.lost} ${entry.kind} lost`);
      if (entry.appliedTwice > 0) failures.push(`${entry.appliedTwice} ${entry.kind} applied twice`);
      failures.push(...entry.problems);
    }
    // A 503 (PostgreSQL not reached within the pool's connect timeout on a loaded machine) is a refusal the client hears, not a loss: failed only past a share.
    const refused = load.submissions.filter((submission) => submission.status !== 202);
    if (refused.length > load.submissions.length * REFUSED_SHARE_ALLOWED) {
      const reasons = new Map<string, number>();
      for (const submission of refused) reasons.set(String(submission.status ?? submission.error), (reasons.get(String(submission.status ?? submission.error)) ?? 0) + 1);
      failures.push(`${refused.length} of ${load.submissions.length} request(s) not accepted (more than ${REFUSED_SHARE_ALLOWED * 100} %): ${[...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ')}`);
    }
    for (const [name, peak] of sampler.peakSessions) if (peak > SESSIONS_ALLOWED) failures.push(`${name} held ${peak} PostgreSQL sessions, more than its pool of ${POOL_SIZE} (+1 for the API's LISTEN)`);

    const verdicts = seriesVerdicts(sampler.processSamples, sampler.queueSamples, groups.map((group) => group.label), options.warmupMinutes * 60);
    for (const entry of verdicts.filter((candidate) => !candidate.ok)) failures.push(`${entry.series}: ${entry.why}`);

    const report: SoakReport = {
      options,
      seconds: (Date.now() - started) / 1000,
      rates: RATES,
      sent: load.submissions.length,
      refused: refused.length,
      restarts,
      drainSeconds,
      missedScrapes: sampler.missedScrapes,
      peakSessions: Math.max(0, ...sampler.peakSessions.values()),
      sessionsAllowed: SESSIONS_ALLOWED,
      verdicts,
      accounts,
      failures,
    };
    process.stdout.write(`\n${textReport(report)}\n`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'latest.md'), markdownReport(report));
    writeFileSync(join(RESULTS_DIR, 'samples.json'), JSON.stringify({ processes: sampler.processSamples, queues: sampler.queueSamples }));
    if (failures.length > 0) {
      const logDir = join(RESULTS_DIR, 'logs');
      mkdirSync(logDir, { recursive: true });
      for (const { name, logs } of stage.logs()) writeFileSync(join(logDir, `${name}.log`), logs);
      process.stderr.write(`process logs: ${logDir}\n`);
    }
    return failures.length > 0 ? 1 : 0;
  } finally {
    await stage?.close();
    await Promise.allSettled([smtp.close(), receiver.close()]);
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping every process and the RabbitMQ node, dropping the database…\n`);
    void closeOpenStages().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`soak: ${error.stack ?? error.message}\n`);
    void closeOpenStages().finally(() => process.exit(1));
  },
);
