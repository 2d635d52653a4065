import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One veth pair between the host and the namespace, with a /30 of its own. */
export interface NamespaceLink {
  readonly name: string;
  /** The host end's address: what a process inside reaches the host by. */
  readonly hostAddress: string;
  /** The namespace end's address: what the host reaches a process inside by. */
  readonly insideAddress: string;
  readonly hostDevice: string;
  readonly insideDevice: string;
}

// Addresses of Baton's own: 10.213.<octet>.0/24, one /30 per link. Traffic
// goes only between the two ends of a link; the namespace has no other route.
const NETWORK = '10.213';
// Above the kernel's own route for the /30 (metric 0): it applies only while that one is gone.
const FALLBACK_METRIC = '4242';

/**
 * A network namespace of the chaos run's own, joined to the host by one veth
 * pair per named link (a link to PostgreSQL, one to RabbitMQ, one the
 * harness probes or sends requests through), so that a scenario can cut one
 * of them and leave the others up.
 *
 * `cut` takes the host end of a link down: packets in either direction are
 * dropped, and no socket is told (no RST, no FIN): a half-open partition,
 * which only heartbeats and timeouts notice. `restore` brings it back and
 * the same TCP connections carry on. While a link is down, the host's
 * packets for it meet a blackhole route instead of the host's default
 * route: nothing leaves the machine.
 *
 * Needs root and iproute2 (`ip`). `remove` deletes everything, and `create`
 * first deletes whatever a run killed before its clean-up left under the
 * same names.
 */
export class NetworkNamespace {
  private constructor(
    readonly name: string,
    readonly links: readonly NamespaceLink[],
  ) {}

  /** `octet` (1 to 254) names the namespace, its devices and its addresses, 10.213.<octet>.0/24. */
  static async create(octet: number, linkNames: readonly string[]): Promise<NetworkNamespace> {
    if (!Number.isInteger(octet) || octet < 1 || octet > 254) throw new Error(`octet must be 1 to 254, not ${octet}`);
    if (linkNames.length === 0 || linkNames.length > 32) throw new Error('a namespace needs 1 to 32 links');
    const links = linkNames.map((name, index) => ({
      name,
      hostAddress: `${NETWORK}.${octet}.${index * 4 + 1}`,
      insideAddress: `${NETWORK}.${octet}.${index * 4 + 2}`,
      hostDevice: `bt${octet}l${index}h`,
      insideDevice: `bt${octet}l${index}n`,
    }));
    const namespace = new NetworkNamespace(`baton-partition-${octet}`, links);
    await namespace.remove();
    try {
      await ip('netns', 'add', namespace.name);
      await namespace.inside('link', 'set', 'lo', 'up');
      for (const link of links) {
        await ip('link', 'add', link.hostDevice, 'type', 'veth', 'peer', 'name', link.insideDevice);
        await ip('link', 'set', link.insideDevice, 'netns', namespace.name);
        await ip('addr', 'add', `${link.hostAddress}/30`, 'dev', link.hostDevice);
        await ip('route', 'add', 'blackhole', subnetOf(link), 'metric', FALLBACK_METRIC);
        await namespace.inside('addr', 'add', `${link.insideAddress}/30`, 'dev', link.insideDevice);
        await namespace.inside('link', 'set', link.insideDevice, 'up');
        await ip('link', 'set', link.hostDevice, 'up');
      }
    } catch (error) {
      await namespace.remove();
      throw new Error(`cannot create network namespace ${namespace.name} (root and iproute2 needed): ${(error as Error).message}`);
    }
    return namespace;
  }

  link(name: string): NamespaceLink {
    const link = this.links.find((candidate) => candidate.name === name);
    if (!link) throw new Error(`namespace ${this.name} has no link ${name}`);
    return link;
  }

  /** What runs a command inside the namespace: prepend it to the command's argv. */
  get commandPrefix(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /** Drops every packet on these links, both ways, without closing any connection. */
  async cut(...names: string[]): Promise<void> {
    for (const name of names) await ip('link', 'set', this.link(name).hostDevice, 'down');
  }

  /** Lets packets through these links again: the connections the cut left open carry on. */
  async restore(...names: string[]): Promise<void> {
    for (const name of names) await ip('link', 'set', this.link(name).hostDevice, 'up');
  }

  /** Deletes the namespace, its links and their fallback routes, whatever exists of them. Never throws. */
  async remove(): Promise<void> {
    for (const link of this.links) {
      // Deleting one end of a veth pair deletes both.
      await ip('link', 'del', link.hostDevice).catch(() => undefined);
      await ip('route', 'del', 'blackhole', subnetOf(link), 'metric', FALLBACK_METRIC).catch(() => undefined);
    }
    await ip('netns', 'del', this.name).catch(() => undefined);
  }

  private inside(...args: string[]): Promise<void> {
    return ip('-n', this.name, ...args);
  }
}

function subnetOf(link: NamespaceLink): string {
  const parts = link.hostAddress.split('.');
  parts[3] = String(Number(parts[3]) - 1);
  return `${parts.join('.')}/30`;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}
