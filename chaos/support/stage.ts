import { RabbitCluster } from '../../test/support/rabbitmq-cluster';
import { RabbitNode } from '../../test/support/rabbitmq-node';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { ChaosDatabase } from './chaos-database';
import { ProcessGroup } from './process-group';

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
}

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
  private readonly background: Array<() => Promise<void>> = [];

  private constructor(
    readonly options: StageOptions,
    /** The stage's node; on a cluster, node 1. */
    readonly node: RabbitNode,
    readonly cluster: RabbitCluster | undefined,
    readonly db: ChaosDatabase,
    readonly proxy: TcpProxy | undefined,
  ) {
    const broker = cluster ? { RABBITMQ_URLS: cluster.urls.join(','), ...CLUSTER_ENV } : {};
    const common = { RABBITMQ_URL: node.url, ...broker, ...COMMON_ENV, ...options.env };
    this.apis = new ProcessGroup('api', (name) => ({ ...common, ...API_ENV, DATABASE_URL: db.urlFor(name, proxy?.port) }));
    this.workers = new ProcessGroup('worker', (name) => ({ ...WORKER_ENV, ...common, ...options.workerEnv, DATABASE_URL: db.urlFor(name, proxy?.port) }));
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
    let proxy: TcpProxy | undefined;
    try {
      if (options.databaseProxy) proxy = await TcpProxy.start({ host: '127.0.0.1', port: db.value.port });
    } catch (error) {
      await Promise.allSettled([broker.value.dispose(), db.value.drop()]);
      throw error;
    }
    const cluster = broker.value instanceof RabbitCluster ? broker.value : undefined;
    const node = broker.value instanceof RabbitCluster ? broker.value.nodes[0] : broker.value;
    const stage = new Stage(options, node, cluster, db.value, proxy);
    openStages.add(stage);
    return stage;
  }

  get processGroups(): ProcessGroup[] {
    return [this.apis, this.workers];
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
    await Promise.allSettled([(this.cluster ?? this.node).dispose(), this.db.drop()]);
  }
}
