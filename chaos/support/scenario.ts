import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadGenerator, normalWorkout, PlannedJob } from './load-generator';
import { measure, Measurement, statusCounts, unfinishedJobs } from './measurement';
import { SeededRandom } from './seeded-random';
import { Stage, StageOptions } from './stage';

export type SizeName = 'quick' | 'full';

/** How hard a scenario pushes: the load, and how long the scenario may take to drain. */
export interface LoadSize {
  /** Requests per second. */
  rate: number;
  /** At least this many requests. */
  jobs: number;
  /**
   * Never more than this many, however long the fault lasts (4 × `jobs` by
   * default): `jobs` for a burst of a fixed size, with the fault still over
   * only once the processes are back.
   */
  maxJobs?: number;
  /** Time from the start of the load to the start of the fault. */
  leadMs: number;
  /** Load kept going after the fault is over, to see the recovery under load. */
  tailMs: number;
}

export interface FaultReport {
  /** Short facts for the table's notes column ("7 kills"). */
  notes: string[];
  /** Checks the fault itself found failing. */
  failures: string[];
}

/** What a scenario defines; the runner does the rest (stage, load, drain, measurement, clean-up). */
export interface ScenarioDefinition<Size extends LoadSize = LoadSize> {
  id: number;
  title: string;
  slug: string;
  sizes: Record<SizeName, Size>;
  stage(size: Size): Omit<StageOptions, 'slug'> & { apis: number; workers: number };
  /** Starts what the scenario needs beside the stage (an SMTP server): its `env` goes to every process, `close` runs at the end. */
  prepare?(size: Size): Promise<{ env: Record<string, string>; close(): Promise<void> }>;
  /** Request `index`'s body; a normal workout by default. */
  plan?(index: number, size: Size, random: SeededRandom): PlannedJob;
  /**
   * Runs once every process is ready and before the first request of the
   * load: what the load's effects must find in place (a webhook endpoint
   * registered, a queue bound to `baton.events`). Whatever it opens is closed
   * with `stage.addBackground`.
   */
  beforeLoad?(stage: Stage, size: Size): Promise<void>;
  /** The fault, while the load runs: resolves when it is over (processes back, broker up, database reachable). `load` shows the answers so far. */
  fault(stage: Stage, size: Size, random: SeededRandom, load: LoadGenerator): Promise<FaultReport>;
  /** Checks once every job is final, with the processes still running. */
  verify?(stage: Stage, size: Size, load: LoadGenerator): Promise<FaultReport>;
}

export interface ScenarioResult {
  id: number;
  title: string;
  measurement?: Measurement;
  drained: boolean;
  drainSeconds?: number;
  seconds: number;
  ok: boolean;
  notes: string[];
  failures: string[];
}

export interface RunContext {
  size: SizeName;
  random: SeededRandom;
  drainTimeoutMs: number;
  /** Where the logs of a failed scenario (or one where a process exited unasked) are written. */
  logDir: string;
  log(line: string): void;
}

const SETTLE_TIMEOUT_MS = 30_000;

export async function runScenario<Size extends LoadSize>(definition: ScenarioDefinition<Size>, context: RunContext): Promise<ScenarioResult> {
  const size = definition.sizes[context.size];
  const random = context.random.fork(definition.slug);
  const started = Date.now();
  const notes: string[] = [];
  const failures: string[] = [];
  const result: ScenarioResult = { id: definition.id, title: definition.title, drained: false, seconds: 0, ok: false, notes, failures };
  const { apis, workers, ...stageOptions } = definition.stage(size);
  let stage: Stage | undefined;
  let extras: { env: Record<string, string>; close(): Promise<void> } | undefined;
  let keepLogs = false;
  try {
    context.log(`setting up: ${stageOptions.cluster ? 'a three-node RabbitMQ cluster' : 'RabbitMQ node'}, database, ${apis} API and ${workers} worker process(es)`);
    extras = await definition.prepare?.(size);
    stage = await Stage.open({ slug: definition.slug, ...stageOptions, env: { ...stageOptions.env, ...extras?.env } });
    await Promise.all([stage.apis.start(apis), stage.workers.start(workers)]);
    await definition.beforeLoad?.(stage, size);

    const planRandom = random.fork('plan');
    const pickRandom = random.fork('pick');
    const faultRandom = random.fork('fault');
    const load = new LoadGenerator({
      rate: size.rate,
      minJobs: size.jobs,
      maxJobs: size.maxJobs ?? size.jobs * 4,
      plan: (index) => (definition.plan ? definition.plan(index, size, planRandom) : normalWorkout(definition.slug, index)),
      target: () => stage!.apis.pickServing((items) => pickRandom.pick(items)),
    });
    const activeStage = stage;
    let faultEnd = 0;
    const fault = (async () => {
      await new Promise((resolve) => setTimeout(resolve, size.leadMs));
      context.log('fault begins');
      const report = await definition.fault(activeStage, size, faultRandom, load);
      faultEnd = Date.now();
      context.log('fault over');
      await new Promise((resolve) => setTimeout(resolve, size.tailMs));
      return report;
    })();
    context.log(`load: ${size.rate}/s, at least ${size.jobs} workouts`);
    const [faultOutcome] = await Promise.allSettled([fault, load.run(fault)]);
    if (faultOutcome.status === 'rejected') throw faultOutcome.reason;
    notes.push(...faultOutcome.value.notes);
    failures.push(...faultOutcome.value.failures);
    context.log(`load over: ${load.submissions.length} sent, ${load.accepted.length} accepted; draining`);

    // Drain time counts from the later of the fault's end and the last answer.
    const drainFrom = Math.max(faultEnd, load.endedAt);
    const drainedAt = await waitUntilDrained(stage, context.drainTimeoutMs);
    result.drained = drainedAt !== undefined;
    if (drainedAt !== undefined) result.drainSeconds = Math.max(0, drainedAt - drainFrom) / 1000;
    else failures.push(`did not drain within ${context.drainTimeoutMs / 1000} s (${await statusCounts(stage.db)})`);

    if (definition.verify) {
      const verified = await definition.verify(stage, size, load);
      notes.push(...verified.notes);
      failures.push(...verified.failures);
    }
    await stage.stopBackground();
    // No process may be left stuck: every one reports ready once the fault is over.
    const notReady = await stage.settle(SETTLE_TIMEOUT_MS);
    if (notReady.length > 0) failures.push(`not ready ${SETTLE_TIMEOUT_MS / 1000} s after the drain: ${notReady.join(', ')}`);
    const unplanned = stage.processGroups.flatMap((group) => group.unplannedExits);
    if (unplanned.length > 0) {
      const described = unplanned.map((record) => `${record.name}: ${describeExit(record.exit)} at +${((record.at.getTime() - started) / 1000).toFixed(1)} s`);
      notes.push(`${unplanned.length} exit(s) nobody asked for (${described.join('; ')})`);
      keepLogs = true;
    }

    const exits = (await Promise.all(stage.processGroups.map((group) => group.stop()))).flat();
    const unclean = exits.filter((record) => record.exit.code !== 0);
    if (unclean.length > 0) failures.push(`SIGTERM at the end did not exit 0: ${unclean.map((record) => `${record.name} ${describeExit(record.exit)}`).join(', ')}`);

    // Measured once nothing runs any more: the rows are final.
    const measurement = await measure(stage.db, load.submissions);
    result.measurement = measurement;
    notes.push(...answerNotes(measurement));
    failures.push(...measurement.problems);
    if (measurement.lost > 0) failures.push(`${measurement.lost} accepted job(s) lost`);
    if (measurement.appliedTwice > 0) failures.push(`${measurement.appliedTwice} request(s) applied twice`);
  } catch (error) {
    failures.push(`harness error: ${(error as Error).stack ?? String(error)}`);
  } finally {
    result.ok = failures.length === 0 && result.drained && result.measurement !== undefined;
    if ((!result.ok || keepLogs) && stage) writeLogs(context.logDir, definition.slug, stage, [...failures, ...notes]);
    context.log('cleaning up');
    await stage?.close();
    await extras?.close().catch(() => undefined);
    result.seconds = (Date.now() - started) / 1000;
  }
  return result;
}

async function waitUntilDrained(stage: Stage, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await unfinishedJobs(stage.db).catch(() => -1)) === 0) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

function answerNotes(measurement: Measurement): string[] {
  const notes: string[] = [];
  if (measurement.rerun > 0) notes.push(`${measurement.rerun} job(s) delivered more than once (up to ${measurement.maxAttempts} attempts)`);
  const unanswered = Object.entries(measurement.unanswered);
  if (unanswered.length > 0) notes.push(`no answer: ${unanswered.map(([code, count]) => `${count} ${code}`).join(', ')}`);
  const rejected = Object.entries(measurement.rejected);
  if (rejected.length > 0) notes.push(`answered ${rejected.map(([status, count]) => `${status} ×${count}`).join(', ')}`);
  if (measurement.committedUnanswered > 0) notes.push(`${measurement.committedUnanswered} job(s) committed without a 202, each run once`);
  return notes;
}

export function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`;
}

function writeLogs(dir: string, slug: string, stage: Stage, findings: string[]): void {
  try {
    const folder = join(dir, slug);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'findings.txt'), `${findings.join('\n')}\n`);
    for (const { name, logs } of stage.logs()) writeFileSync(join(folder, `${name}.log`), logs);
  } catch {
    // Logs are a help, never a reason to fail differently.
  }
}
