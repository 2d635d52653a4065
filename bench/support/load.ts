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
  /** The failures by status code or error code, where the generator tells them apart. */
  failures?: Record<string, number>;
}

/** Failed requests summed over rounds, by contender: the note a row carries when any failed. */
export class FailureTally {
  private readonly counts = new Map<string, { failed: number; total: number; kinds: Map<string, number> }>();

  add(contender: string, result: LoadResult): void {
    // A contender that answers nothing but errors is broken, not slow: its figures would measure failures.
    if (result.ok === 0 && result.failed > 0) {
      throw new Error(`every request to ${contender} failed in a round (${result.failed}${kindsText(Object.entries(result.failures ?? {}))})`);
    }
    const tally = this.counts.get(contender) ?? { failed: 0, total: 0, kinds: new Map<string, number>() };
    tally.failed += result.failed;
    tally.total += result.ok + result.failed;
    for (const [kind, count] of Object.entries(result.failures ?? {})) tally.kinds.set(kind, (tally.kinds.get(kind) ?? 0) + count);
    this.counts.set(contender, tally);
  }

  /** Undefined when nothing failed; else "failed requests: baton 0 of 30000, bullmq 1 of 30000 (503×1)". */
  note(): string | undefined {
    if ([...this.counts.values()].every((tally) => tally.failed === 0)) return undefined;
    const parts = [...this.counts].map(([contender, tally]) => `${contender} ${tally.failed} of ${tally.total}${kindsText(tally.kinds)}`);
    return `failed requests: ${parts.join(', ')}`;
  }
}

/** "" when every request succeeded, else e.g. "; 2 of 15000 requests failed (503×2)". */
export function failureNote(result: LoadResult): string {
  if (result.failed === 0) return '';
  return `; ${result.failed} of ${result.ok + result.failed} requests failed${kindsText(Object.entries(result.failures ?? {}))}`;
}

/** " (503×2, ECONNRESET×1)", or "" when the kinds are not known. */
function kindsText(kinds: Iterable<[string, number]>): string {
  const listed = [...kinds].map(([kind, count]) => `${kind}×${count}`);
  return listed.length > 0 ? ` (${listed.join(', ')})` : '';
}

export interface LoadOptions {
  url: string;
  body: object;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** Requests per second in all, evenly paced (paced-load.js); as fast as possible with autocannon when absent. */
  rate?: number;
  /** A fresh `Idempotency-Key` header on every request (autocannon only). */
  idempotencyKeys?: boolean;
  cpus?: string;
}

/**
 * Runs the load in a process of its own (pinned when asked) and reads its
 * JSON result: autocannon for a closed loop as fast as the server answers,
 * the paced generator for a steady rate.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.idempotencyKeys && options.rate !== undefined) throw new Error('fresh idempotency keys need the autocannon load (no rate)');
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
      let result;
      try {
        result = JSON.parse(stdout);
      } catch {
        // A throw here would end the benchmark without stopping its processes.
        return reject(new Error(`the load generator printed no result: ${stdout.slice(0, 200)}${stderr}`));
      }
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
  // -I replaces `[<id>]` anywhere in each request it writes (headers included)
  // with a fresh hyperid: a key no earlier request used. The suffix keeps the
  // argument from ending in `]`, which autocannon's argument parser (subarg)
  // would take for the end of a group of sub-arguments.
  if (options.idempotencyKeys) args.push('-I', '-H', 'idempotency-key=[<id>].bench');
  args.push(options.url);
  return args;
}

function pacedArguments(options: LoadOptions, rate: number): string[] {
  const { url, seconds, connections, headers } = options;
  return [PACED_LOAD, JSON.stringify({ url, rate, seconds, connections, headers, body: JSON.stringify(options.body) })];
}
