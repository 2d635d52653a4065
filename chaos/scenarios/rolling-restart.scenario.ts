import { normalWorkout, PlannedJob } from '../support/load-generator';
import { describeExit, FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

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

/**
 * 6. A rolling restart, as a Deployment rollout does it: for each worker in
 * turn a replacement starts, turns ready, and the old one gets SIGTERM while
 * it runs jobs. It finishes what it can within SHUTDOWN_TIMEOUT_MS and gives
 * back the rest (a few jobs here outlast it on purpose), then exits 0.
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
    for (let round = 0; round < size.rounds; round++) {
      for (const slot of stage.workers.members.map((member) => member.slot)) {
        await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
        const { name, exit } = await stage.workers.replace(slot);
        replaced++;
        if (exit.code !== 0) failures.push(`${name} did not exit 0 after SIGTERM: ${describeExit(exit)}`);
      }
    }
    // From the logs, as a hint only: the measurement never reads them.
    const givenBack = stage.workers.history
      .map((member) => [...member.process.logs.matchAll(/(\d+) of \d+ jobs still running at shutdown/g)].reduce((sum, match) => sum + Number(match[1]), 0))
      .reduce((sum, count) => sum + count, 0);
    return { notes: [`${replaced} workers replaced (SIGTERM) in ${size.rounds} round(s); their logs say ${givenBack} job(s) outlasted the shutdown timeout`], failures };
  },
};
