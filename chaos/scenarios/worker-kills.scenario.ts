import { normalWorkout } from '../support/load-generator';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface WorkerKillsSize extends LoadSize {
  workers: number;
  kills: number;
  /** Pause between two kills, drawn in this range. */
  gapMs: [number, number];
  /** Each workout sleeps this long inside the worker's transaction, drawn in this range. */
  jobMs: [number, number];
}

/**
 * 1. Workers SIGKILLed at random moments while jobs run: a random worker, at
 * a random moment, again and again, each started again at once as a
 * supervisor would. Jobs sleep inside their transaction, so that kills land
 * mid-transaction; each one killed must run again, and once.
 */
export const workerKills: ScenarioDefinition<WorkerKillsSize> = {
  id: 1,
  title: 'workers SIGKILLed at random',
  slug: 'worker-kills',
  sizes: {
    quick: { workers: 3, kills: 6, gapMs: [700, 1500], jobMs: [50, 300], rate: 40, jobs: 300, leadMs: 1000, tailMs: 1000 },
    full: { workers: 4, kills: 25, gapMs: [500, 2000], jobMs: [50, 300], rate: 60, jobs: 1500, leadMs: 2000, tailMs: 2000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers }),
  plan: (index, size, random) => normalWorkout('s1', index, random.int(...size.jobMs)),
  async fault(stage, size, random): Promise<FaultReport> {
    const killed: string[] = [];
    for (let kill = 0; kill < size.kills; kill++) {
      await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
      // Prefer a worker that is running jobs (ready); one still starting is fair game only if none is.
      const members = stage.workers.members;
      const states = await Promise.all(members.map((member) => member.process.isReady()));
      const ready = members.filter((_, index) => states[index]);
      const victim = random.pick(ready.length > 0 ? ready : members);
      killed.push(victim.name);
      await stage.workers.kill(victim.slot, 'SIGKILL');
    }
    // The fault is over once the fleet is whole again.
    await Promise.all(stage.workers.members.map((member) => member.ready));
    return { notes: [`${killed.length} SIGKILLs over ${size.workers} workers`], failures: [] };
  },
};
