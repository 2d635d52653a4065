import { ChildProcess, spawn } from 'node:child_process';
import { freePort } from './processes';

/** A redis-server of a test's own, to stop, freeze and kill without touching the shared one. */
export interface OwnRedis {
  url: string;
  /** SIGSTOP: connected, but answering nothing (a Redis stuck behind a slow command or a dead link). */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** Ends it (SIGKILL: as a crash), and waits until it has. */
  kill(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port, without persistence, and waits until
 * it accepts connections. The caller kills it (by its own child's pid only).
 */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
