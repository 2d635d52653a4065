import { RabbitNode } from './rabbitmq-node';

/** Where one queue lives in the cluster, as `rabbitmqctl list_queues` reports it. */
export interface QueueReplicas {
  name: string;
  /** `quorum` or `classic`. */
  type: string;
  /** The node leading a quorum queue (a classic queue's home node is its `pid`'s, not shown here). */
  leader?: string;
  /** The nodes holding a replica of a quorum queue. */
  members: string[];
  /** The members that are running now. */
  online: string[];
}

/**
 * Three RabbitMQ nodes of the test's own, on loopback ports, joined into one
 * cluster: quorum queues declared on it get a member on every node (RabbitMQ's
 * default group size), so a test can kill, stop and restart nodes under
 * Baton's processes. Vhosts, users and permissions made on one node exist on
 * all; each node keeps its name and data directory across restarts, and
 * rejoins the cluster by itself when started again.
 */
export class RabbitCluster {
  private constructor(readonly nodes: readonly RabbitNode[]) {}

  /** Node URLs in order, as RABBITMQ_URLS takes them. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  static async create(size = 3): Promise<RabbitCluster> {
    const nodes = await Promise.all(Array.from({ length: size }, (_, index) => RabbitNode.prepare({ namePrefix: `baton_cluster_${index + 1}` })));
    const cluster = new RabbitCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => node.start()));
      const joining = nodes.slice(1);
      await Promise.all(joining.map((node) => node.ctl('stop_app')));
      // One at a time: each join changes the cluster's membership, which the next join reads.
      for (const node of joining) await node.ctl('join_cluster', nodes[0].name);
      await Promise.all(joining.map((node) => node.ctl('start_app')));
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  /** The node of a name rabbitmqctl reports (`baton_cluster_1_…@localhost`). */
  byName(name: string): RabbitNode | undefined {
    return this.nodes.find((node) => node.name === name);
  }

  /** Every queue of `vhost`, asked of the first node that answers (any running member knows them all). */
  async queues(vhost = '/'): Promise<QueueReplicas[]> {
    const errors: string[] = [];
    for (const node of this.nodes.filter((candidate) => candidate.running)) {
      try {
        const output = await node.ctl('list_queues', '-p', vhost, 'name', 'type', 'leader', 'members', 'online', '--formatter', 'json');
        const rows = JSON.parse(output) as Array<Record<string, unknown>>;
        return rows.map((row) => ({
          name: String(row.name),
          type: String(row.type),
          leader: typeof row.leader === 'string' && row.leader !== '' ? row.leader : undefined,
          members: Array.isArray(row.members) ? row.members.map(String) : [],
          online: Array.isArray(row.online) ? row.online.map(String) : [],
        }));
      } catch (error) {
        errors.push(`${node.name}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    throw new Error(`no node of the cluster lists the queues of ${vhost}: ${errors.join('; ') || 'none is running'}`);
  }

  /** The node leading a quorum queue now. */
  async leaderOf(queue: string, vhost = '/'): Promise<RabbitNode> {
    const found = (await this.queues(vhost)).find((candidate) => candidate.name === queue);
    if (!found) throw new Error(`no queue ${queue} in vhost ${vhost}`);
    const leader = found.leader === undefined ? undefined : this.byName(found.leader);
    if (!leader) throw new Error(`queue ${queue} has no leader on this cluster (leader: ${found.leader ?? 'none'})`);
    return leader;
  }

  /** Kills every node and removes their data. Never throws. */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.nodes.map((node) => node.dispose()));
  }
}
