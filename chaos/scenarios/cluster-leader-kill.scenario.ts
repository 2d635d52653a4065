import { normalWorkout } from '../support/load-generator';
import { awaitAllMembersOnline, awaitNewLeader, checkedCluster, nodeLabel, WORK_QUEUE } from '../support/quorum-replicas';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface ClusterLeaderKillSize extends LoadSize {
  workers: number;
  /** How long the killed node stays down once a new leader is elected. */
  downMs: [number, number];
  jobMs: [number, number];
}

/**
 * 10. On a three-node cluster, the node leading the work queue is SIGKILLed
 * in the middle of a burst (a crashed broker or a lost machine), and started
 * again later with its data. The other two elect a new leader; every process
 * connected to the dead node (all of them: node 1 comes first in
 * RABBITMQ_URLS, and the queue's first leader is where it was declared)
 * reconnects to the next node. Unacknowledged deliveries of the dead
 * connections are redelivered by the new leader: they must find their jobs
 * done, and nothing the publisher got a confirm for may be missing.
 */
export const clusterLeaderKill: ScenarioDefinition<ClusterLeaderKillSize> = {
  id: 10,
  title: 'cluster: queue leader node SIGKILLed',
  slug: 'cluster-leader-kill',
  // maxJobs only caps the load: it must last the whole fault, and a node takes tens of seconds to restart on a busy machine.
  sizes: {
    quick: { workers: 2, downMs: [2000, 4000], jobMs: [10, 100], rate: 40, jobs: 300, maxJobs: 4000, leadMs: 2000, tailMs: 2000 },
    full: { workers: 3, downMs: [5000, 15000], jobMs: [10, 200], rate: 60, jobs: 1500, maxJobs: 15000, leadMs: 5000, tailMs: 5000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers, cluster: true }),
  plan: (index, size, random) => normalWorkout('s10', index, random.int(...size.jobMs)),
  async fault(stage, size, random): Promise<FaultReport> {
    const { cluster, note: checked, failures: unreplicated } = await checkedCluster(stage);
    if (unreplicated.length > 0) return { notes: [], failures: unreplicated };

    const leader = await cluster.leaderOf(WORK_QUEUE);
    const killedAt = Date.now();
    await leader.kill();
    const successor = await awaitNewLeader(cluster, WORK_QUEUE, leader);
    const electedSeconds = (Date.now() - killedAt) / 1000;
    await new Promise((resolve) => setTimeout(resolve, random.int(...size.downMs)));
    await leader.start();
    await awaitAllMembersOnline(cluster);
    const downSeconds = (Date.now() - killedAt) / 1000;
    const notReady = await stage.settle(60_000);
    const failures = notReady.length > 0 ? [`not ready 60 s after ${nodeLabel(cluster, leader)} came back: ${notReady.join(', ')}`] : [];
    return {
      notes: [
        checked,
        `${nodeLabel(cluster, leader)} (leader of ${WORK_QUEUE}) SIGKILLed; ${nodeLabel(cluster, successor)} seen leading ${electedSeconds.toFixed(1)} s later; back in every queue after ${downSeconds.toFixed(1)} s`,
      ],
      failures,
    };
  },
};
