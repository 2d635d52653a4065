import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');
export const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');
export const WORKER_MAIN = join(ROOT, 'dist/apps/worker/src/main.js');
export const CLI_MAIN = join(ROOT, 'dist/apps/cli/src/main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Baton process started from dist/, as Kubernetes would start it. */
export class BatonProcess {
  readonly exited: Promise<Exit>;
  private output = '';

  constructor(
    readonly child: ChildProcess,
    /** Base URL of its HTTP server (API routes, or a worker's health port). */
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk) => (this.output += chunk));
    child.stderr?.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  async isReady(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/health/ready`)).status === 200;
    } catch {
      return false;
    }
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.url} to be ready`,
      async () => {
        if (!this.running) throw new Error(`process exited early:\n${this.output}`);
        return (await this.isReady()) ? true : undefined;
      },
      timeoutMs,
      100,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- process output ---\n${this.output}`);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Settings every test process gets: quick shutdown, quiet logs; `env` overrides. */
function processEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'warn', ...env };
}

export function spawnNode(main: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  return spawn(process.execPath, [main, ...args], { env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the API and waits until it is ready (unless `ready: false`). */
export async function startApi(env: Record<string, string>, options: { ready?: boolean } = {}): Promise<BatonProcess> {
  const port = await freePort();
  const api = new BatonProcess(spawnNode(API_MAIN, { PORT: String(port), ...env }), `http://127.0.0.1:${port}`);
  if (options.ready !== false) await api.waitUntilReady();
  return api;
}

/** Starts a worker and waits until its consumers are attached (unless `ready: false`). */
export async function startWorker(env: Record<string, string>, options: { ready?: boolean } = {}): Promise<BatonProcess> {
  const port = await freePort();
  const worker = new BatonProcess(spawnNode(WORKER_MAIN, { HEALTH_PORT: String(port), ...env }), `http://127.0.0.1:${port}`);
  if (options.ready !== false) await worker.waitUntilReady();
  return worker;
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string>): Promise<Exit & { output: string }> {
  const child = spawnNode(CLI_MAIN, env, args);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exit = await new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { ...exit, output };
}
