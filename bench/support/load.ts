import { spawn } from 'node:child_process';
import { join } from 'node:path';

const AUTOCANNON = join(__dirname, '..', '..', 'node_modules', 'autocannon', 'autocannon.js');
const PACED_LOAD = join(__dirname, 'paced-load.js');

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
  /** Requests per second in all, evenly paced (paced-load.js); as fast as possible with autocannon when absent. */
  rate?: number;
  cpus?: string;
}

/**
 * Runs the load in a process of its own (pinned when asked) and reads its
 * JSON result: autocannon for a closed loop as fast as the server answers,
 * the paced generator for a steady rate.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = options.rate === undefined ? autocannonArguments(options) : pacedArguments(options, options.rate);
  const command = options.cpus === undefined ? [process.execPath, ...args] : ['taskset', '-c', options.cpus, process.execPath, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited ${code}: ${stderr}`));
      const result = JSON.parse(stdout);
      if (options.rate !== undefined) return resolve(result as LoadResult);
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

function autocannonArguments(options: LoadOptions): string[] {
  const args = [AUTOCANNON, '--json', '-c', String(options.connections), '-d', String(options.seconds), '-m', 'POST', '-b', JSON.stringify(options.body)];
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...options.headers })) args.push('-H', `${name}=${value}`);
  args.push(options.url);
  return args;
}

function pacedArguments(options: LoadOptions, rate: number): string[] {
  const { url, seconds, connections, headers } = options;
  return [PACED_LOAD, JSON.stringify({ url, rate, seconds, connections, headers, body: JSON.stringify(options.body) })];
}
