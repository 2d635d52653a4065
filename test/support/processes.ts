import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testMode } from './mode';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');
export const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');
export const WORKER_MAIN = join(ROOT, 'dist/apps/worker/src/main.js');
export const CLI_MAIN = join(ROOT, 'dist/apps/cli/src/main.js');
export const STANDALONE_MAIN = join(ROOT, 'dist/apps/standalone/src/main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Baton process started from dist/, as Kubernetes would start it. */
export class BatonProcess {
  readonly exited: Promise<Exit>;
  private output = '';
  private stdoutOutput = '';

  constructor(
    readonly child: ChildProcess,
    /** Base URL of its HTTP server (API routes, or a worker's health port). */
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk) => {
      this.output += chunk;
      this.stdoutOutput += chunk;
    });
    child.stderr?.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** stdout and stderr, interleaved as written. */
  get logs(): string {
    return this.output;
  }

  /** stdout alone: the JSON log lines. */
  get stdout(): string {
    return this.stdoutOutput;
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

/**
 * Settings every test process gets: quick shutdown, quiet logs, and emails
 * off (DISABLED_JOB_TYPES), so that a worker consuming every queue needs no
 * mail server; the email suites turn them on with an SMTP server of their
 * own. `env` overrides.
 */
function processEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'warn', DISABLED_JOB_TYPES: 'emails', ...env };
}

/**
 * Where a process runs, when not simply here: `prefix` wraps its command
 * (`ip netns exec <namespace>`), and `host` is the address its HTTP server
 * is reached at from here.
 */
export interface Placement {
  prefix: string[];
  host: string;
}

export interface StartOptions {
  /** Wait until it reports ready (the default). */
  ready?: boolean;
  placement?: Placement;
}

export function spawnNode(main: string, env: Record<string, string>, args: string[] = [], prefix: string[] = []): ChildProcess {
  const [command, ...rest] = [...prefix, process.execPath, main, ...args];
  return spawn(command, rest, { env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the API and waits until it is ready (unless `ready: false`). */
export async function startApi(env: Record<string, string>, options: StartOptions = {}): Promise<BatonProcess> {
  const port = await freePort();
  const api = new BatonProcess(spawnNode(API_MAIN, { PORT: String(port), ...env }, [], options.placement?.prefix), `http://${options.placement?.host ?? '127.0.0.1'}:${port}`);
  if (options.ready !== false) await api.waitUntilReady();
  return api;
}

/** Starts a worker and waits until its consumers are attached (unless `ready: false`). */
export async function startWorker(env: Record<string, string>, options: StartOptions = {}): Promise<BatonProcess> {
  const port = await freePort();
  const worker = new BatonProcess(
    spawnNode(WORKER_MAIN, { HEALTH_PORT: String(port), ...env }, [], options.placement?.prefix),
    `http://${options.placement?.host ?? '127.0.0.1'}:${port}`,
  );
  if (options.ready !== false) await worker.waitUntilReady();
  return worker;
}

/**
 * Starts the standalone process (API and workers in one, `npm start`) and
 * waits until it is ready (unless `ready: false`), on `env.PORT` if given. Without RABBITMQ_URL in
 * `env` its jobs travel through its in-process queue.
 */
export async function startStandalone(env: Record<string, string>, options: { ready?: boolean } = {}): Promise<BatonProcess> {
  // A PORT given keeps the address (a restart that Prometheus, say, goes on scraping).
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Its development key file (and embedded database, without DATABASE_URL) in a directory of its own, never the checkout's.
  const dataDir = env.BATON_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'baton-standalone-'));
  const standalone = new BatonProcess(spawnNode(STANDALONE_MAIN, { PORT: String(port), BATON_DATA_DIR: dataDir, ...env }), `http://127.0.0.1:${port}`);
  if (env.BATON_DATA_DIR === undefined) void standalone.exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  if (options.ready !== false) await standalone.waitUntilReady();
  return standalone;
}

export interface BatonOptions {
  /** Wait until every process is ready (the default). */
  ready?: boolean;
  /** Services mode: one worker process per entry, with these overrides (default: one worker; none for `[]`, the API alone). */
  workers?: Array<Record<string, string>>;
}

/** Baton as a suite drives it: where its API answers, and where each worker reports health and metrics. */
export interface Baton {
  api: BatonProcess;
  /** The first worker (in embedded mode, the one standalone process); throws if none was started. */
  worker: BatonProcess;
  /** One per entry of `workers` (in embedded mode, each is the standalone process). */
  workers: BatonProcess[];
  /** The distinct processes. */
  processes: BatonProcess[];
}

/**
 * Starts Baton from dist/ the same way in both test modes:
 * - services mode: an API process and one worker process per entry of
 *   `options.workers`, as Kubernetes runs them, on `env` (DATABASE_URL and
 *   RABBITMQ_URL);
 * - embedded mode: one standalone process, API and workers in one, on `env`
 *   (DATABASE_URL of the suite's embedded database; no RABBITMQ_URL, so jobs
 *   travel through its in-process queue). Its handle serves as the API and
 *   as every worker: the same URL answers the routes, /health/ready and
 *   /metrics. Per-worker overrides cannot apply to one process, so they are
 *   refused there; give the one process what it needs in `env`.
 */
export async function startBaton(env: Record<string, string>, options: BatonOptions = {}): Promise<Baton> {
  const workerEnvs = options.workers ?? [{}];
  let baton: Baton;
  if (testMode() === 'embedded') {
    if (env.RABBITMQ_URL !== undefined) throw new Error('embedded mode has no RabbitMQ: leave RABBITMQ_URL out of the environment');
    if (workerEnvs.some((overrides) => Object.keys(overrides).length > 0)) {
      throw new Error('embedded mode runs one standalone process: per-process overrides cannot apply; put them in the common environment');
    }
    const standalone = await startStandalone(env, { ready: false });
    baton = { api: standalone, worker: standalone, workers: workerEnvs.map(() => standalone), processes: [standalone] };
  } else {
    if (env.RABBITMQ_URL === undefined) throw new Error(`services mode needs RABBITMQ_URL: the suite's vhost`);
    // Kept as soon as spawned, so that the caller can stop them even if one never gets ready.
    const api = await startApi(env, { ready: false });
    const workers: BatonProcess[] = [];
    for (const overrides of workerEnvs) workers.push(await startWorker({ ...env, ...overrides }, { ready: false }));
    baton = {
      api,
      get worker(): BatonProcess {
        if (workers.length === 0) throw new Error('this Baton was started without a worker process (workers: [])');
        return workers[0];
      },
      workers,
      processes: [api, ...workers],
    };
  }
  if (options.ready !== false) {
    try {
      await Promise.all(baton.processes.map((child) => child.waitUntilReady()));
    } catch (error) {
      await Promise.all(baton.processes.map((child) => child.stop('SIGKILL')));
      throw error;
    }
  }
  return baton;
}

export interface CliRun extends Exit {
  /** stdout and stderr, interleaved as written. */
  output: string;
  /** What a script capturing the command's stdout would get. */
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawnNode(CLI_MAIN, env, args);
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
    stderr += chunk;
  });
  // 'close', not 'exit': the streams are read to their end.
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { ...exit, output, stdout, stderr };
}
