import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/processes';

const ROOT = join(__dirname, '..', '..');
export const BATON_API = join(ROOT, 'dist/apps/api/src/main.js');
export const BATON_WORKER = join(ROOT, 'dist/apps/worker/src/main.js');
export const baseline = (name: string) => join(ROOT, 'bench/baselines', `${name}.js`);

/** Core assignment: the machine's cores as taskset lists, when there are at least two. */
export function cores(): { first?: string; second?: string } {
  return availableParallelism() >= 2 ? { first: '0', second: '1' } : {};
}

/** A process of the benchmark, optionally pinned to cores with taskset. */
export class BenchProcess {
  private output = '';
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly startedAt: number,
  ) {
    child.stdout?.on('data', (chunk) => (this.output += chunk));
    child.stderr?.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(main: string, env: Record<string, string>, options: { cpus?: string; port?: number } = {}): Promise<BenchProcess> {
    return (async () => {
      const port = options.port ?? (await freePort());
      const command = options.cpus === undefined ? [process.execPath, main] : ['taskset', '-c', options.cpus, process.execPath, main];
      const child = spawn(command[0], command.slice(1), {
        env: { PATH: process.env.PATH, PORT: String(port), HEALTH_PORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return new BenchProcess(child, port, performance.now());
    })();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logs(): string {
    return this.output;
  }

  /** Resolves with the milliseconds from spawn to ready: /health/ready answering 200, or a `ready` line for baselines. */
  async ready(kind: 'health' | 'line', timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`process exited early:\n${this.output}`);
      if (kind === 'line' ? /^ready$/m.test(this.output) : await this.healthy()) return performance.now() - this.startedAt;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Peak resident memory so far (VmHWM), in MiB. */
  peakRssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return kib / 1024;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/health/ready`)).status === 200;
    } catch {
      return false;
    }
  }
}
