import { RabbitCluster } from '../../test/support/rabbitmq-cluster';
import { RabbitNode } from '../../test/support/rabbitmq-node';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { Placement } from '../../test/support/processes';
import { ChaosDatabase } from './chaos-database';
import { NetworkNamespace } from './network-namespace';
import { ProcessGroup, Role } from './process-group';

export interface StageOptions {
  /** Short name: database prefix, log folder. */
  slug: string;
  /** Send every Baton process's PostgreSQL connections through a TCP proxy the scenario can cut. */
  databaseProxy?: boolean;
  /**
   * Run on a three-node RabbitMQ cluster instead of one node: every process
   * gets RABBITMQ_URL = node 1 and RABBITMQ_URLS = all three, and a short
   * heartbeat (CLUSTER_ENV).
   */
  cluster?: boolean;
  /** Settings for every process (API and workers), over the chaos defaults. */
  env?: Record<string, string>;
  /** Settings for workers only. */
  workerEnv?: Record<string, string>;
  /** Run slot 1 of a role in a network namespace of its own (see IsolatedSlot). */
  isolate?: { role: Role; octet: number };
}

/**
 * Slot 1 of a role (every process of that slot, replacements too) runs in a
 * network namespace of its own, joined to the host by three links the
 * scenario can cut one by one: `postgres` and `rabbitmq` lead to TCP proxies
 * on the host end's address, which forward to the scenario's database and
 * RabbitMQ node on loopback (the machine's PostgreSQL listens on loopback
 * only, and is left so); `http` is how the harness probes the process and
 * sends it requests, as the kubelet on its node would.
 */
export interface IsolatedSlot {
  role: Role;
  slot: 1;
  namespace: NetworkNamespace;
  postgres: TcpProxy;
  rabbitmq: TcpProxy;
}

const ISOLATED_LINKS = ['postgres', 'rabbitmq', 'http'] as const;

/**
 * The chaos defaults: fast retries so that poison jobs die quickly, no
 * shutdown delay, a rate limit that the load never reaches, a pool that
 * covers the worker's concurrency, and emails off. The topology variables are the same for
 * every process, as Baton requires.
 */
const COMMON_ENV: Record<string, string> = {
  JOB_MAX_ATTEMPTS: '5',
  JOB_RETRY_BASE_MS: '50',
  JOB_RETRY_MAX_MS: '400',
  JOB_DELIVERY_LIMIT: '10',
  SHUTDOWN_DELAY_MS: '0',
  LOG_LEVEL: 'warn',
  // Workers consuming every queue need no mail server; the email scenario turns emails on with one of its own.
  DISABLED_JOB_TYPES: 'emails',
};
// The API at info: it logs little per request then (a 202 is a debug line), and its lifecycle shows in the logs kept.
const API_ENV: Record<string, string> = { RELAY_INTERVAL_MS: '200', RATE_LIMIT_MAX: '10000000', DATABASE_POOL_SIZE: '6', LOG_LEVEL: 'info' };
const WORKER_ENV: Record<string, string> = { WORKER_CONCURRENCY: '4', DATABASE_POOL_SIZE: '6' };
/**
 * On a cluster: here a SIGKILLed node's kernel closes its sockets, so clients
 * notice at once; a node whose machine is lost closes nothing, and only the
 * heartbeat tells (after about twice it). 5 s keeps that inside a scenario.
 */
const CLUSTER_ENV: Record<string, string> = { RABBITMQ_HEARTBEAT_SEC: '5' };

const openStages = new Set<Stage>();

/** Closes every stage still open: for a run interrupted by a signal. */
export async function closeOpenStages(): Promise<void> {
  await Promise.allSettled([...openStages].map((stage) => stage.close()));
}

/**
 * One scenario's world, of its own: a RabbitMQ node (so that stopping it
 * touches nothing else) or a cluster of three, a PostgreSQL database,
 * optionally a TCP proxy in front of it, and the supervised API and worker
 * processes.
 */
export class Stage {
  readonly apis: ProcessGroup;
  readonly workers: ProcessGroup;
  /** Worker groups added with `addWorkerGroup`, each with settings of its own. */
  private readonly extraWorkerGroups: ProcessGroup[] = [];
  private readonly background: Array<() => Promise<void>> = [];

  private constructor(
    readonly options: StageOptions,
    /** The stage's node; on a cluster, node 1. */
    readonly node: RabbitNode,
    readonly cluster: RabbitCluster | undefined,
    readonly db: ChaosDatabase,
    readonly proxy: TcpProxy | undefined,
    readonly isolated: IsolatedSlot | undefined,
  ) {
    this.apis = new ProcessGroup('api', (name, slot) => ({ ...this.commonEnv, ...API_ENV, ...this.addresses('api', name, slot) }), this.placement('api'));
    this.workers = new ProcessGroup('worker', (name, slot) => this.workerEnv(name, slot, {}), this.placement('worker'));
  }

  /**
   * A further group of workers, as the chart deploys one per queue: the
   * stage's worker settings with `env` over them (its WORKER_QUEUES), its
   * processes named `<namePrefix>-<slot>-<n>`, stopped with the stage.
   * Never isolated: only the stage's own groups have a slot in a namespace.
   */
  addWorkerGroup(namePrefix: string, env: Record<string, string>): ProcessGroup {
    const group = new ProcessGroup('worker', (name) => this.workerEnv(name, 0, env), undefined, namePrefix);
    this.extraWorkerGroups.push(group);
    return group;
  }

  /** Every process's settings: the broker's nodes on a cluster, the chaos defaults, the scenario's own. */
  private get commonEnv(): Record<string, string> {
    const broker = this.cluster ? { RABBITMQ_URLS: this.cluster.urls.join(','), ...CLUSTER_ENV } : {};
    return { ...broker, ...COMMON_ENV, ...this.options.env };
  }

  private workerEnv(name: string, slot: number, env: Record<string, string>): Record<string, string> {
    return { ...WORKER_ENV, ...this.commonEnv, ...this.options.workerEnv, ...env, ...this.addresses('worker', name, slot) };
  }

  /** Where a process reaches RabbitMQ and PostgreSQL: through its namespace's links when its slot is the isolated one. */
  private addresses(role: Role, name: string, slot: number): Record<string, string> {
    const isolated = this.isolated;
    return isolated?.role === role && slot === isolated.slot
      ? { RABBITMQ_URL: isolated.rabbitmq.via(this.node.url), DATABASE_URL: isolated.postgres.via(this.db.urlFor(name)) }
      : { RABBITMQ_URL: this.node.url, DATABASE_URL: this.db.urlFor(name, this.proxy?.port) };
  }

  private placement(role: Role): (slot: number) => Placement | undefined {
    const isolated = this.isolated;
    return (slot) => (isolated?.role === role && slot === isolated.slot ? { prefix: isolated.namespace.commandPrefix, host: isolated.namespace.link('http').insideAddress } : undefined);
  }

  static async open(options: StageOptions): Promise<Stage> {
    const brokerKind = options.cluster ? 'RabbitMQ cluster' : 'RabbitMQ node';
    const [broker, db] = await Promise.allSettled([options.cluster ? RabbitCluster.create() : RabbitNode.create(), ChaosDatabase.create(options.slug)]);
    if (broker.status === 'rejected' || db.status === 'rejected') {
      if (broker.status === 'fulfilled') await broker.value.dispose().catch(() => undefined);
      if (db.status === 'fulfilled') await db.value.drop().catch(() => undefined);
      const reasons = [broker, db].filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      throw new Error(`cannot set up the scenario's ${brokerKind} and database: ${reasons.map((result) => (result.reason as Error).message).join('; ')}`);
    }
    const cluster = broker.value instanceof RabbitCluster ? broker.value : undefined;
    const node = broker.value instanceof RabbitCluster ? broker.value.nodes[0] : broker.value;
    let proxy: TcpProxy | undefined;
    let isolated: IsolatedSlot | undefined;
    try {
      if (options.databaseProxy) proxy = await TcpProxy.start({ host: '127.0.0.1', port: db.value.port });
      if (options.isolate) isolated = await isolate(options.isolate, node, db.value);
    } catch (error) {
      await proxy?.cut().catch(() => undefined);
      await Promise.allSettled([broker.value.dispose(), db.value.drop()]);
      throw error;
    }
    const stage = new Stage(options, node, cluster, db.value, proxy, isolated);
    openStages.add(stage);
    return stage;
  }

  get processGroups(): ProcessGroup[] {
    return [this.apis, this.workers, ...this.extraWorkerGroups];
  }

  /** Waits until every process reports ready; returns the names of those that do not within `timeoutMs`. */
  async settle(timeoutMs: number): Promise<string[]> {
    return (await Promise.all(this.processGroups.map((group) => group.settle(timeoutMs)))).flat();
  }

  /** Work the scenario keeps running until the processes stop (a crash watcher): stopped before they are. */
  addBackground(stop: () => Promise<void>): void {
    this.background.push(stop);
  }

  async stopBackground(): Promise<void> {
    const stops = this.background.splice(0);
    await Promise.allSettled(stops.map((stop) => stop()));
  }

  /** Every process's output, for the logs of a scenario that failed. */
  logs(): Array<{ name: string; logs: string }> {
    return this.processGroups.flatMap((group) => group.history.map((member) => ({ name: member.name, logs: member.process.logs })));
  }

  /** Stops everything, whatever state it is in. Never throws. */
  async close(): Promise<void> {
    openStages.delete(this);
    await this.stopBackground();
    await Promise.allSettled(this.processGroups.map((group) => group.killAll()));
    await this.proxy?.cut().catch(() => undefined);
    await closeIsolation(this.isolated);
    await Promise.allSettled([(this.cluster ?? this.node).dispose(), this.db.drop()]);
  }
}

async function isolate(options: { role: Role; octet: number }, node: RabbitNode, db: ChaosDatabase): Promise<IsolatedSlot> {
  const namespace = await NetworkNamespace.create(options.octet, ISOLATED_LINKS);
  const proxies: TcpProxy[] = [];
  try {
    for (const [link, port] of [['postgres', db.port], ['rabbitmq', node.port]] as const) {
      proxies.push(await TcpProxy.start({ host: '127.0.0.1', port }, 0, namespace.link(link).hostAddress));
    }
  } catch (error) {
    await closeIsolation({ role: options.role, slot: 1, namespace, postgres: proxies[0], rabbitmq: proxies[1] });
    throw error;
  }
  return { role: options.role, slot: 1, namespace, postgres: proxies[0], rabbitmq: proxies[1] };
}

/** Never throws. The processes inside must be gone first: a namespace outlives its deletion while one runs in it. */
async function closeIsolation(isolated: Partial<IsolatedSlot> | undefined): Promise<void> {
  if (!isolated) return;
  await Promise.allSettled([isolated.postgres?.cut(), isolated.rabbitmq?.cut()]);
  await isolated.namespace?.remove();
}
