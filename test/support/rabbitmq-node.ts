import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes';
import { RABBITMQCTL } from './env';

const run = promisify(execFile);

/**
 * A RabbitMQ node of the test's own, on its own ports and data directory, so
 * that a test can stop and restart a broker while the machine's RabbitMQ is
 * left alone. Needs the rabbitmq-server package (as on CI) and runs as the
 * user rabbitmq-server switches to, hence the world-writable directory.
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

  static async create(): Promise<RabbitNode> {
    const port = await freePort();
    const distPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'baton-rabbit-'));
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
    const name = `baton_test_${port}@localhost`;
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
    const node = new RabbitNode(name, port, dir, env);
    await node.start();
    return node;
  }

  /** Starts the node (again) and waits until it accepts AMQP connections. */
  async start(): Promise<void> {
    await run('rabbitmq-server', ['-detached'], { env: this.env });
    await this.ctl('wait', join(this.dir, 'pid'), '--timeout', '90');
  }

  /** Stops the whole node, as a broker restart or crash would. */
  async stop(): Promise<void> {
    await this.ctl('stop', join(this.dir, 'pid'));
  }

  async dispose(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ctl(...args: string[]): Promise<void> {
    await run(RABBITMQCTL, ['-n', this.name, ...args], { env: this.env, timeout: 120_000 });
  }
}
