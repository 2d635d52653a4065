import { normalWorkout } from '../support/load-generator';
import { awaitNewLeader, checkedCluster, nodeLabel, WORK_QUEUE } from '../support/quorum-replicas';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface ClusterNodeLostSize extends LoadSize {
  workers: number;
  jobMs: [number, number];
}

/**
 * 11. On a three-node cluster, the node leading the work queue is stopped
 * for good (a node drained and removed, a machine that never returns), and
 * the load goes on on the other two: two of three members are still a
 * quorum, so every queue keeps a leader and accepts and delivers. The
 * broker closes the connections of the node it stops; every process must
 * find another node from RABBITMQ_URLS and carry on, through the tail and
 * the drain, with the node still gone.
 */
export const clusterNodeLost: ScenarioDefinition<ClusterNodeLostSize> = {
  id: 11,
  title: 'cluster: one node stopped for good',
  slug: 'cluster-node-lost',
  // maxJobs only caps the load: it must last the whole fault, and a node takes tens of seconds to restart on a busy machine.
  sizes: {
    quick: { workers: 2, jobMs: [10, 100], rate: 40, jobs: 300, maxJobs: 4000, leadMs: 2000, tailMs: 4000 },
    full: { workers: 3, jobMs: [10, 200], rate: 60, jobs: 1500, maxJobs: 15000, leadMs: 5000, tailMs: 15000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers, cluster: true }),
  plan: (index, size, random) => normalWorkout('s11', index, random.int(...size.jobMs)),
  async fault(stage): Promise<FaultReport> {
    const { cluster, note: checked, failures: unreplicated } = await checkedCluster(stage);
    if (unreplicated.length > 0) return { notes: [], failures: unreplicated };

    const lost = await cluster.leaderOf(WORK_QUEUE);
    const stoppedAt = Date.now();
    await lost.stop();
    const successor = await awaitNewLeader(cluster, WORK_QUEUE, lost);
    const electedSeconds = (Date.now() - stoppedAt) / 1000;
    const notReady = await stage.settle(60_000);
    const failures = notReady.length > 0 ? [`not ready 60 s after ${nodeLabel(cluster, lost)} was stopped: ${notReady.join(', ')}`] : [];
    return {
      notes: [
        checked,
        `${nodeLabel(cluster, lost)} (leader of ${WORK_QUEUE}) stopped and left down; ${nodeLabel(cluster, successor)} seen leading ${electedSeconds.toFixed(1)} s after the stop began`,
      ],
      failures,
    };
  },
};
