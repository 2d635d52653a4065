import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes';
import { RABBITMQCTL } from './env';

const run = promisify(execFile);

/** How long a SIGKILLed node may take to be gone (a busy machine): past it, something is wrong. */
const KILL_TIMEOUT_MS = 30_000;

export interface RabbitNodeOptions {
  /** The start of the node's name, before its AMQP port: `<prefix>_<port>@localhost`. */
  namePrefix?: string;
}

/**
 * A RabbitMQ node of the test's own, on its own ports and data directory, so
 * that a test can stop, kill and restart a broker while the machine's
 * RabbitMQ is left alone. Needs the rabbitmq-server package (as on CI) and
 * runs as the user rabbitmq-server switches to, hence the world-writable
 * directory. RabbitCluster joins three of them.
 */
export class RabbitNode {
  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /** Written by the node as it boots: the process to SIGKILL. */
  get pidFile(): string {
    return join(this.dir, 'pid');
  }

  /** A node, started and accepting AMQP connections. */
  static async create(options: RabbitNodeOptions = {}): Promise<RabbitNode> {
    const node = await RabbitNode.prepare(options);
    try {
      await node.start();
    } catch (error) {
      await node.dispose();
      throw error;
    }
    return node;
  }

  /** A node's ports, name and directory, not started yet. */
  static async prepare({ namePrefix = 'baton_test' }: RabbitNodeOptions = {}): Promise<RabbitNode> {
    const port = await freePort();
    const distPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'baton-rabbit-'));
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
    const name = `${namePrefix}_${port}@localhost`;
    const env = {
      ...process.env,
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    };
    return new RabbitNode(name, port, dir, env);
  }

  /** Starts the node (again, with its data) and waits until it accepts AMQP connections. */
  async start(): Promise<void> {
    this.forgetPid();
    await run('rabbitmq-server', ['-detached'], { env: this.env });
    await this.ctl('wait', this.pidFile, '--timeout', '90');
  }

  /** Stops the whole node cleanly, as a broker restart would. Only for a running node: see `dispose`. */
  async stop(): Promise<void> {
    await this.ctl('stop', this.pidFile);
    this.forgetPid();
  }

  /** SIGKILLs the node's process, as a crash or a lost machine would, and waits until it is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
    const deadline = Date.now() + KILL_TIMEOUT_MS;
    // Not our child, so no exit event to await: its pid is polled until it is gone.
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${this.name} (pid ${pid}) still runs ${KILL_TIMEOUT_MS / 1000} s after SIGKILL`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.forgetPid();
  }

  /** True while the process its pid file names runs. */
  get running(): boolean {
    const pid = this.pid();
    return pid !== undefined && isAlive(pid);
  }

  /**
   * Kills what runs and removes the data. Never `rabbitmqctl stop`: aimed at
   * a node that is not running, it leaves a stop behind that takes down the
   * next node of that name seconds after it boots.
   */
  async dispose(): Promise<void> {
    await this.kill().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs rabbitmqctl against this node; resolves with its standard output. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run(RABBITMQCTL, ['-n', this.name, ...args], { env: this.env, timeout: 120_000 });
    return stdout;
  }

  /**
   * Removes the pid file of a node that is gone: a stale one names a dead
   * process (whose pid the system may reuse) that `wait` would read before a
   * new node writes its own.
   */
  private forgetPid(): void {
    rmSync(this.pidFile, { force: true });
  }

  private pid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
