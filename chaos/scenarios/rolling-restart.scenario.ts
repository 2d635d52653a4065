import { runCli } from '../../test/support/processes';
import { waitFor } from '../../test/support/wait-for';
import { normalWorkout, PlannedJob } from '../support/load-generator';
import { Member } from '../support/process-group';
import { describeExit, FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';
import { Stage } from '../support/stage';

interface RollingRestartSize extends LoadSize {
  workers: number;
  rounds: number;
  /** Pause between two replacements. */
  gapMs: [number, number];
  jobMs: [number, number];
  /** Share of jobs that outlast SHUTDOWN_TIMEOUT_MS: their worker gives them back unfinished. */
  longShare: number;
}

const SHUTDOWN_TIMEOUT_MS = 1_000;
const LONG_JOB_MS = 4_000;
/** The queue paused through the restarts; the load is all workouts. */
const PAUSED_QUEUE = 'workouts';

/** Pauses or resumes the queue through the operators' CLI; a failure is the scenario's. */
async function setPaused(stage: Stage, command: 'pause' | 'resume'): Promise<void> {
  const run = await runCli(['queues', command, PAUSED_QUEUE], { DATABASE_URL: stage.db.url });
  if (run.code !== 0) throw new Error(`baton queues ${command} ${PAUSED_QUEUE} failed (exit ${run.code}):\n${run.output}`);
}

/** Waits until a worker has applied the pause: its gauge is set once its consumer is cancelled. */
async function seesPaused(member: Member): Promise<void> {
  await waitFor(
    `${member.name} to see ${PAUSED_QUEUE} paused`,
    async () => ((await (await fetch(`${member.process.url}/metrics`)).text()).includes(`baton_queue_paused{queue="${PAUSED_QUEUE}"} 1`) ? true : undefined),
    10_000,
    100,
  );
}

const countWhere = async (stage: Stage, condition: string): Promise<number> =>
  Number((await stage.db.query<{ count: string }>(`SELECT count(*) FROM jobs WHERE type = '${PAUSED_QUEUE}' AND ${condition}`))[0].count);

/**
 * 6. A rolling restart, as a Deployment rollout does it: for each worker in
 * turn a replacement starts, turns ready, and the old one gets SIGTERM while
 * it runs jobs. It finishes what it can within SHUTDOWN_TIMEOUT_MS and gives
 * back the rest (a few jobs here outlast it on purpose), then exits 0.
 *
 * The queue is paused (`baton queues pause`) after the first replacement
 * and resumed at the end: every replacement started meanwhile must leave it
 * alone, no workout may complete between the pause taking effect and the
 * resume, and once resumed the jobs that waited run, none lost or twice.
 */
export const rollingRestart: ScenarioDefinition<RollingRestartSize> = {
  id: 6,
  title: 'rolling restart (SIGTERM) of workers',
  slug: 'rolling-restart',
  sizes: {
    quick: { workers: 3, rounds: 1, gapMs: [300, 1000], jobMs: [30, 250], longShare: 0.03, rate: 30, jobs: 300, leadMs: 1000, tailMs: 1000 },
    full: { workers: 4, rounds: 3, gapMs: [300, 2000], jobMs: [30, 400], longShare: 0.03, rate: 50, jobs: 1500, leadMs: 2000, tailMs: 2000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers, workerEnv: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) } }),
  plan(index, size, random): PlannedJob {
    return normalWorkout('s6', index, random.next() < size.longShare ? LONG_JOB_MS : random.int(...size.jobMs));
  },
  async fault(stage, size, random): Promise<FaultReport> {
    const failures: string[] = [];
    let replaced = 0;
    let completedWhenPaused: number | undefined;
    for (let round = 0; round < size.rounds; round++) {
      for (const slot of stage.workers.members.map((member) => member.slot)) {
        await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
        const { name, exit } = await stage.workers.replace(slot);
        replaced++;
        if (exit.code !== 0) failures.push(`${name} did not exit 0 after SIGTERM: ${describeExit(exit)}`);
        if (completedWhenPaused === undefined) {
          await setPaused(stage, 'pause');
          for (const member of stage.workers.members) await seesPaused(member);
          // What the workers held at the pause finishes (or is given back at a SIGTERM); then nothing runs.
          await waitFor('the jobs held at the pause to end', async () => ((await countWhere(stage, `status = 'processing'`)) === 0 ? true : undefined), 20_000, 100);
          completedWhenPaused = await countWhere(stage, `status = 'completed'`);
        } else {
          for (const member of stage.workers.members) await seesPaused(member);
        }
      }
    }
    const completedAtResume = await countWhere(stage, `status = 'completed'`);
    const waiting = await countWhere(stage, `status = 'queued'`);
    if (completedAtResume !== completedWhenPaused) failures.push(`${completedAtResume - completedWhenPaused!} workout(s) completed while ${PAUSED_QUEUE} was paused`);
    await setPaused(stage, 'resume');
    // From the logs, as a hint only: the measurement never reads them.
    const givenBack = stage.workers.history
      .map((member) => [...member.process.logs.matchAll(/(\d+) of \d+ jobs still running at shutdown/g)].reduce((sum, match) => sum + Number(match[1]), 0))
      .reduce((sum, count) => sum + count, 0);
    return {
      notes: [
        `${replaced} workers replaced (SIGTERM) in ${size.rounds} round(s); their logs say ${givenBack} job(s) outlasted the shutdown timeout`,
        `${PAUSED_QUEUE} paused after the first replacement: ${waiting} job(s) waited, none completed, until the resume`,
      ],
      failures,
    };
  },
};
