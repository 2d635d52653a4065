import { normalWorkout } from '../support/load-generator';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface ApiKillsSize extends LoadSize {
  apis: number;
  workers: number;
  kills: number;
  gapMs: [number, number];
  /** The API's INSERT of each job sleeps this long, drawn in this range: requests are in flight when it dies. */
  acceptMs: [number, number];
}

/**
 * 3. An API process SIGKILLed under load, again and again, and started again:
 * requests in flight on it get no answer (they are neither accepted nor
 * lost), jobs it committed but had not published yet wait for a relay sweep.
 * Each job's INSERT is slowed a little in the database, so that kills find
 * requests in flight, some of them committed without an answer.
 * Every request that got its 202 must complete. The load goes to whichever
 * API processes are up, as a load balancer would send it.
 */
export const apiKills: ScenarioDefinition<ApiKillsSize> = {
  id: 3,
  title: 'API SIGKILLed under load',
  slug: 'api-kills',
  sizes: {
    quick: { apis: 2, workers: 2, kills: 4, gapMs: [800, 2000], acceptMs: [5, 80], rate: 60, jobs: 360, leadMs: 1000, tailMs: 1500 },
    full: { apis: 2, workers: 3, kills: 15, gapMs: [500, 2500], acceptMs: [5, 80], rate: 80, jobs: 2000, leadMs: 2000, tailMs: 3000 },
  },
  stage: (size) => ({ apis: size.apis, workers: size.workers }),
  plan: (index, size, random) => normalWorkout('s3', index, undefined, random.int(...size.acceptMs)),
  async fault(stage, size, random): Promise<FaultReport> {
    for (let kill = 0; kill < size.kills; kill++) {
      // One at a time, so that another API takes the load meanwhile: with none
      // up, the test would only measure an empty load balancer.
      await Promise.all(stage.apis.members.map((member) => member.ready));
      await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
      const victim = random.pick(stage.apis.members);
      await stage.apis.kill(victim.slot, 'SIGKILL');
    }
    await Promise.all(stage.apis.members.map((member) => member.ready));
    return { notes: [`${size.kills} API SIGKILLs`], failures: [] };
  },
};
