import { RabbitCluster } from '../../test/support/rabbitmq-cluster';
import { RabbitNode } from '../../test/support/rabbitmq-node';
import { waitFor } from '../../test/support/wait-for';
import { Stage } from './stage';

/** The work queue the cluster scenarios' load (all workouts) goes through. */
export const WORK_QUEUE = 'workouts';

/** How long a restarted node's replicas may take to be back in every queue. */
const REJOIN_TIMEOUT_MS = 60_000;
/** How long a queue may go without a leader once its leader is gone. */
const ELECTION_TIMEOUT_MS = 30_000;

/** `baton_cluster_2_40837@localhost` as `node 2`, for notes. */
export function nodeLabel(cluster: RabbitCluster, node: RabbitNode | string): string {
  const name = typeof node === 'string' ? node : node.name;
  const index = cluster.nodes.findIndex((candidate) => candidate.name === name);
  return index >= 0 ? `node ${index + 1}` : name;
}

export interface CheckedCluster {
  cluster: RabbitCluster;
  /** What was checked, for notes. */
  note: string;
  /** One line per queue that is not replicated as it must be; the scenario fails, and faults nothing, if there is any. */
  failures: string[];
}

/**
 * The stage's cluster, and what a cluster scenario proves only if it holds
 * before the fault: every queue Baton declared is a quorum queue with a
 * member running on every node, and the work queue is among them.
 */
export async function checkedCluster(stage: Stage): Promise<CheckedCluster> {
  const cluster = stage.cluster;
  if (!cluster) throw new Error('this scenario needs a stage on a RabbitMQ cluster (stage option cluster: true)');
  const queues = await cluster.queues();
  const failures: string[] = [];
  if (!queues.some((queue) => queue.name === WORK_QUEUE)) failures.push(`no queue ${WORK_QUEUE} on the cluster`);
  for (const queue of queues) {
    if (queue.type !== 'quorum') failures.push(`${queue.name} is a ${queue.type} queue, not a quorum queue`);
    const missing = cluster.nodes.filter((node) => !queue.members.includes(node.name) || !queue.online.includes(node.name));
    if (queue.type === 'quorum' && missing.length > 0) failures.push(`${queue.name} has no running member on ${missing.map((node) => nodeLabel(cluster, node)).join(', ')}`);
  }
  return {
    cluster,
    note: `${queues.length} quorum queues, each with members on all ${cluster.nodes.length} nodes, checked before the fault`,
    failures: failures.map((failure) => `before the fault: ${failure}`),
  };
}

/** Waits until `queue` has a leader on a running node other than `former`, and returns it. */
export async function awaitNewLeader(cluster: RabbitCluster, queue: string, former: RabbitNode): Promise<RabbitNode> {
  return waitFor(
    `a new leader of ${queue} after ${nodeLabel(cluster, former)} left`,
    async () => {
      const leader = await cluster.leaderOf(queue);
      return leader !== former && leader.running ? leader : undefined;
    },
    ELECTION_TIMEOUT_MS,
    250,
  );
}

/** Waits until every quorum queue has all its members running again (a restarted node has rejoined each). */
export async function awaitAllMembersOnline(cluster: RabbitCluster): Promise<void> {
  await waitFor(
    'every quorum queue to have all its members online',
    async () => ((await cluster.queues()).every((queue) => queue.type !== 'quorum' || queue.members.every((member) => queue.online.includes(member))) ? true : undefined),
    REJOIN_TIMEOUT_MS,
    250,
  );
}
