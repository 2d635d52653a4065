import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { Client } from 'pg';
import { connect as connectTcp } from 'node:net';
import { ADMIN_DATABASE_URL, RABBITMQ_BASE_URL, REDIS_URL } from './env';
import { MODE_VARIABLE, PGLITE_TEMPLATE_VARIABLE, REDIS_VARIABLE, RUN_DIR_VARIABLE, TEST_MODE_VARIABLE, TestMode } from './mode';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PROBE_TIMEOUT_MS = 3000;

const redact = (url: string) => url.replace(/\/\/[^@]*@/, '//***@');

/**
 * Chooses what the suite runs on, once for the whole run:
 * - PostgreSQL (TEST_ADMIN_DATABASE_URL) and RabbitMQ (TEST_RABBITMQ_URL)
 *   both answer: `services` mode, every suite against them.
 * - Either does not, and REQUIRE_SERVICES=1 (CI sets it): the run fails here,
 *   with the reasons, instead of every test failing (or being skipped).
 * - Either does not, otherwise, or TEST_MODE=embedded: `embedded` mode, on
 *   PGlite and the standalone process's in-process queue; one line says so
 *   and why.
 * The mode reaches every test file through BATON_TEST_MODE (see ./mode.ts).
 */
export default async function globalSetup(): Promise<void> {
  const embeddedAsked = embeddedModeAsked();
  const unreachable = embeddedAsked ? [] : await unreachableServices();
  const mode: TestMode = embeddedAsked || unreachable.length > 0 ? 'embedded' : 'services';
  // Redis only serves the rate limit shared by several API processes, a services-mode test.
  const redisProblem = mode === 'services' ? await probeRedis(REDIS_URL) : undefined;
  if (redisProblem) unreachable.push(redisProblem);
  const problems = process.env.REQUIRE_SERVICES === '1' ? [...unreachable] : [];
  const built = mode === 'services' ? ['dist/apps/api/src/main.js'] : ['dist/apps/standalone/src/main.js', 'dist/libs/persistence/src/embedded-postgres.js'];
  for (const file of built) {
    if (!existsSync(join(ROOT, file))) problems.push(`${file} is missing: run \`npm run build\` (npm test does it first)`);
  }
  if (problems.length > 0) {
    const heading =
      process.env.REQUIRE_SERVICES === '1' && unreachable.length > 0
        ? 'REQUIRE_SERVICES=1: the test suite runs against the real PostgreSQL, RabbitMQ and Redis only, and cannot reach them'
        : 'The test suite cannot run';
    throw new Error(`${heading}:\n  ${problems.join('\n  ')}`);
  }

  const runDir = mkdtempSync(join(tmpdir(), 'baton-test-run-'));
  process.env[RUN_DIR_VARIABLE] = runDir;
  process.env[MODE_VARIABLE] = mode;
  if (mode === 'services') {
    process.env[REDIS_VARIABLE] = redisProblem ? 'down' : 'up';
    const redis = redisProblem ? ` Redis is not there (${redisProblem}): the tests that need it are skipped and listed.` : ` Redis at ${redact(REDIS_URL)}.`;
    console.log(`\nBaton tests: services mode, on PostgreSQL at ${redact(ADMIN_DATABASE_URL)} and RabbitMQ at ${redact(RABBITMQ_BASE_URL)}.${redis}`);
    return;
  }
  try {
    process.env[PGLITE_TEMPLATE_VARIABLE] = await createPgliteTemplate(join(runDir, 'pglite-template'));
  } catch (error) {
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`embedded mode: could not initialise PGlite: ${(error as Error).message}`);
  }
  const why = embeddedAsked ? `${TEST_MODE_VARIABLE}=embedded asks for it` : unreachable.join('; ');
  console.log(
    `\nBaton tests: embedded mode, since ${why}. The suite runs on the embedded parts ` +
      '(PGlite PostgreSQL, the standalone process with its in-process queue); tests that need a real RabbitMQ or PostgreSQL server are skipped and listed. ' +
      'Set REQUIRE_SERVICES=1 to fail instead.',
  );
}

/**
 * TEST_MODE=embedded runs the embedded mode even where the services answer
 * (`npm run test:embedded`), so that a developer can try both on one
 * machine. Contradicting REQUIRE_SERVICES=1 is an error, not a choice.
 */
function embeddedModeAsked(): boolean {
  const asked = process.env[TEST_MODE_VARIABLE];
  if (asked === undefined || asked === '') return false;
  if (asked !== 'embedded') throw new Error(`${TEST_MODE_VARIABLE} must be "embedded" or unset (the mode is then chosen from the services that answer), not ${JSON.stringify(asked)}`);
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`${TEST_MODE_VARIABLE}=embedded contradicts REQUIRE_SERVICES=1: choose one`);
  return true;
}

/** Why PostgreSQL or RabbitMQ cannot be used, one line each; empty when both answer. */
async function unreachableServices(): Promise<string[]> {
  const unreachable: string[] = [];
  const pg = new Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (error) {
    unreachable.push(`PostgreSQL at ${redact(ADMIN_DATABASE_URL)}: ${(error as Error).message}`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  try {
    const connection = await amqp.connect(RABBITMQ_BASE_URL, { timeout: PROBE_TIMEOUT_MS });
    await connection.close();
  } catch (error) {
    unreachable.push(`RabbitMQ at ${redact(RABBITMQ_BASE_URL)}: ${(error as Error).message || String(error)}`);
  }
  return unreachable;
}

/**
 * An initialised, empty PGlite data directory that every embedded test
 * database starts as a copy of: initdb takes seconds, a copy a fraction of
 * one. Made in a child process, so that its memory goes with it.
 */
async function createPgliteTemplate(dir: string): Promise<string> {
  const script = `require('@electric-sql/pglite').PGlite.create(process.argv[1]).then((db) => db.close()).catch((error) => { console.error(error); process.exit(1); })`;
  await run(process.execPath, ['-e', script, dir], { cwd: ROOT, timeout: 120_000 });
  return dir;
}

/** Why Redis cannot be used (it does not answer PING with PONG), or undefined when it can. */
async function probeRedis(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connectTcp({ host: hostname, port: Number(port || 6379) });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(`Redis at ${redact(url)}: no answer within ${PROBE_TIMEOUT_MS} ms`));
    socket.once('error', (error) => done(`Redis at ${redact(url)}: ${error.message}`));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG') ? undefined : `Redis at ${redact(url)} answered ${JSON.stringify(data.toString().trim())}`));
  });
}
