import { normalWorkout } from '../support/load-generator';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface BrokerRestartSize extends LoadSize {
  workers: number;
  restarts: number;
  /** How long the node stays down, past the time its stop takes. */
  downMs: [number, number];
  /** Load between two restarts. */
  gapMs: [number, number];
  jobMs: [number, number];
}

/**
 * 2. RabbitMQ stopped and started in the middle of a load, on the scenario's
 * own node. The API keeps accepting (jobs wait in PostgreSQL for the relay);
 * workers lose their channels with jobs in flight, whose acks can then never
 * reach the broker: the redeliveries must find those jobs done.
 */
export const brokerRestart: ScenarioDefinition<BrokerRestartSize> = {
  id: 2,
  title: 'RabbitMQ stopped and started',
  slug: 'broker-restart',
  sizes: {
    quick: { workers: 2, restarts: 1, downMs: [1000, 2000], gapMs: [0, 0], jobMs: [10, 100], rate: 40, jobs: 300, leadMs: 2000, tailMs: 2000 },
    full: { workers: 3, restarts: 3, downMs: [1000, 5000], gapMs: [3000, 6000], jobMs: [10, 200], rate: 60, jobs: 1500, leadMs: 3000, tailMs: 3000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers }),
  plan: (index, size, random) => normalWorkout('s2', index, random.int(...size.jobMs)),
  async fault(stage, size, random): Promise<FaultReport> {
    let downMs = 0;
    for (let restart = 0; restart < size.restarts; restart++) {
      if (restart > 0) await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
      const stopping = Date.now();
      await stage.node.stop();
      await new Promise((resolve) => setTimeout(resolve, random.int(...size.downMs)));
      await stage.node.start();
      downMs += Date.now() - stopping;
      // Over once every process is consuming / publishing again.
      const notReady = await stage.settle(60_000);
      if (notReady.length > 0) return { notes: [], failures: [`not ready 60 s after the broker came back: ${notReady.join(', ')}`] };
    }
    return { notes: [`broker stopped ${size.restarts}×, ${(downMs / 1000).toFixed(1)} s down in all`], failures: [] };
  },
};
