import { spawn } from 'node:child_process';
import { join } from 'node:path';

const AUTOCANNON = join(__dirname, '..', '..', 'node_modules', 'autocannon', 'autocannon.js');

export interface LoadResult {
  /** Requests per second, mean over the run. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  /** Answers that were not 2xx, and connection errors and timeouts. */
  failed: number;
}

export interface LoadOptions {
  url: string;
  body: object;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** Requests per second in all; as fast as possible when absent. */
  rate?: number;
  cpus?: string;
}

/** Runs autocannon in a process of its own (pinned when asked) and reads its JSON result. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [AUTOCANNON, '--json', '-c', String(options.connections), '-d', String(options.seconds), '-m', 'POST', '-b', JSON.stringify(options.body)];
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...options.headers })) args.push('-H', `${name}=${value}`);
  if (options.rate !== undefined) args.push('-R', String(options.rate));
  args.push(options.url);
  const command = options.cpus === undefined ? [process.execPath, ...args] : ['taskset', '-c', options.cpus, process.execPath, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${stderr}`));
      const result = JSON.parse(stdout);
      resolve({
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        ok: result['2xx'],
        failed: result.non2xx + result.errors + result.timeouts,
      });
    });
  });
}
