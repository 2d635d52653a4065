import { normalWorkout } from '../support/load-generator';
import { awaitAllMembersOnline, checkedCluster, nodeLabel } from '../support/quorum-replicas';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface ClusterRollingRestartSize extends LoadSize {
  workers: number;
  /** Pause between one node back in every queue and the next node's stop. */
  gapMs: [number, number];
  jobMs: [number, number];
}

/**
 * 12. A rolling restart of a three-node cluster under load, as an upgrade or
 * the RabbitMQ Cluster Operator does it: each node in turn is stopped,
 * started again, and awaited until it is back in every quorum queue before
 * the next one goes, so that two of three members are always up. Node 1
 * goes first, and with it every process's connection; each later stop
 * sends the processes connected to that node on to the next.
 */
export const clusterRollingRestart: ScenarioDefinition<ClusterRollingRestartSize> = {
  id: 12,
  title: 'cluster: rolling restart of the nodes',
  slug: 'cluster-rolling-restart',
  // maxJobs only caps the load: it must last the whole fault, and a node takes tens of seconds to restart on a busy machine.
  sizes: {
    quick: { workers: 2, gapMs: [500, 1500], jobMs: [10, 100], rate: 30, jobs: 300, maxJobs: 6000, leadMs: 2000, tailMs: 2000 },
    full: { workers: 3, gapMs: [2000, 5000], jobMs: [10, 200], rate: 60, jobs: 1500, maxJobs: 15000, leadMs: 5000, tailMs: 5000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers, cluster: true }),
  plan: (index, size, random) => normalWorkout('s12', index, random.int(...size.jobMs)),
  async fault(stage, size, random): Promise<FaultReport> {
    const { cluster, note: checked, failures: unreplicated } = await checkedCluster(stage);
    if (unreplicated.length > 0) return { notes: [], failures: unreplicated };

    const restarts: string[] = [];
    for (const node of cluster.nodes) {
      await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
      const stoppedAt = Date.now();
      await node.stop();
      await node.start();
      await awaitAllMembersOnline(cluster);
      restarts.push(`${nodeLabel(cluster, node)} ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);
    }
    const notReady = await stage.settle(60_000);
    const failures = notReady.length > 0 ? [`not ready 60 s after the last node came back: ${notReady.join(', ')}`] : [];
    return { notes: [checked, `each node stopped, started and back in every queue in turn: ${restarts.join(', ')}`], failures };
  },
};
