import { RabbitNode } from '../../test/support/rabbitmq-node';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { ChaosDatabase } from './chaos-database';
import { ProcessGroup } from './process-group';

export interface StageOptions {
  /** Short name: database prefix, log folder. */
  slug: string;
  /** Send every Baton process's PostgreSQL connections through a TCP proxy the scenario can cut. */
  databaseProxy?: boolean;
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

const openStages = new Set<Stage>();

/** Closes every stage still open: for a run interrupted by a signal. */
export async function closeOpenStages(): Promise<void> {
  await Promise.allSettled([...openStages].map((stage) => stage.close()));
}

/**
 * One scenario's world, of its own: a RabbitMQ node (so that stopping it
 * touches nothing else), a PostgreSQL database, optionally a TCP proxy in
 * front of it, and the supervised API and worker processes.
 */
export class Stage {
  readonly apis: ProcessGroup;
  readonly workers: ProcessGroup;
  /** Worker groups added with `addWorkerGroup`, each with settings of its own. */
  private readonly extraWorkerGroups: ProcessGroup[] = [];
  private readonly background: Array<() => Promise<void>> = [];

  private constructor(
    readonly options: StageOptions,
    readonly node: RabbitNode,
    readonly db: ChaosDatabase,
    readonly proxy: TcpProxy | undefined,
  ) {
    const common = { RABBITMQ_URL: node.url, ...COMMON_ENV, ...options.env };
    this.apis = new ProcessGroup('api', (name) => ({ ...common, ...API_ENV, DATABASE_URL: db.urlFor(name, proxy?.port) }));
    this.workers = new ProcessGroup('worker', (name) => this.workerEnv(name, {}));
  }

  /**
   * A further group of workers, as the chart deploys one per queue: the
   * stage's worker settings with `env` over them (its WORKER_QUEUES), its
   * processes named `<namePrefix>-<slot>-<n>`, stopped with the stage.
   */
  addWorkerGroup(namePrefix: string, env: Record<string, string>): ProcessGroup {
    const group = new ProcessGroup('worker', (name) => this.workerEnv(name, env), namePrefix);
    this.extraWorkerGroups.push(group);
    return group;
  }

  private workerEnv(name: string, env: Record<string, string>): Record<string, string> {
    const common = { RABBITMQ_URL: this.node.url, ...COMMON_ENV, ...this.options.env };
    return { ...WORKER_ENV, ...common, ...this.options.workerEnv, ...env, DATABASE_URL: this.db.urlFor(name, this.proxy?.port) };
  }

  static async open(options: StageOptions): Promise<Stage> {
    const [node, db] = await Promise.allSettled([RabbitNode.create(), ChaosDatabase.create(options.slug)]);
    if (node.status === 'rejected' || db.status === 'rejected') {
      if (node.status === 'fulfilled') await node.value.dispose().catch(() => undefined);
      if (db.status === 'fulfilled') await db.value.drop().catch(() => undefined);
      const reasons = [node, db].filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      throw new Error(`cannot set up the scenario's RabbitMQ node and database: ${reasons.map((result) => (result.reason as Error).message).join('; ')}`);
    }
    let proxy: TcpProxy | undefined;
    try {
      if (options.databaseProxy) proxy = await TcpProxy.start({ host: '127.0.0.1', port: db.value.port });
    } catch (error) {
      await Promise.allSettled([node.value.dispose(), db.value.drop()]);
      throw error;
    }
    const stage = new Stage(options, node.value, db.value, proxy);
    openStages.add(stage);
    return stage;
  }

  get processGroups(): ProcessGroup[] {
    return [this.apis, this.workers, ...this.extraWorkerGroups];
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
    await Promise.allSettled([this.node.dispose(), this.db.drop()]);
  }
}
