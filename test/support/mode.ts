import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which parts the suite runs on, as test/support/global-setup.ts chose them
 * for this run:
 * - `services`: the real PostgreSQL and RabbitMQ (TEST_ADMIN_DATABASE_URL,
 *   TEST_RABBITMQ_URL); the API and workers run as separate processes.
 * - `embedded`: no service at all. Each suite gets a PGlite PostgreSQL of its
 *   own, and Baton runs as the standalone process (API and workers in one,
 *   jobs through its in-process queue). Tests that only make sense with a
 *   real broker are skipped, each with its reason printed.
 */
export type TestMode = 'services' | 'embedded';

/** The developer's switch: `embedded` runs the embedded mode even where the services answer. */
export const TEST_MODE_VARIABLE = 'TEST_MODE';
/** Set by the global setup; jest hands it to every test file (in band and in workers). */
export const MODE_VARIABLE = 'BATON_TEST_MODE';
/** A directory of this run's own (PGlite template, the list of skipped tests); removed by the global teardown. */
export const RUN_DIR_VARIABLE = 'BATON_TEST_RUN_DIR';
export const SKIPS_FILE = 'skipped.jsonl';
/** In embedded mode: an initialised, empty PGlite data directory that each embedded test database starts as a copy of. */
export const PGLITE_TEMPLATE_VARIABLE = 'BATON_TEST_PGLITE_TEMPLATE';
/** `up` when the global setup reached Redis (TEST_REDIS_URL), in services mode. */
export const REDIS_VARIABLE = 'BATON_TEST_REDIS';

export function testMode(): TestMode {
  const mode = process.env[MODE_VARIABLE];
  if (mode !== 'services' && mode !== 'embedded') {
    throw new Error(`${MODE_VARIABLE} is not set: run the tests with jest, whose global setup (test/support/global-setup.ts) chooses the mode`);
  }
  return mode;
}

export const servicesRequired = (): boolean => process.env.REQUIRE_SERVICES === '1';

/** One test (or group) skipped in embedded mode, as the reporter prints it. */
export interface SkipRecord {
  testPath: string;
  name: string;
  /** The real service it needs: RabbitMQ itself, or a PostgreSQL server (PGlite is a single backend). */
  needs: Service;
  reason: string;
}

export type Service = 'RabbitMQ' | 'PostgreSQL' | 'Redis' | 'Prometheus';

/** Why a test needs the real services: a sentence, needing RabbitMQ; or which service and why. */
export type ServicesReason = string | { needs: Service; reason: string };

const normalise = (why: ServicesReason): { needs: Service; reason: string } => (typeof why === 'string' ? { needs: 'RabbitMQ', reason: why } : why);

/**
 * Records a skip for test/support/skip-reporter.js, which prints it under
 * the suite's result and again at the end of the run. Refuses to skip at
 * all when REQUIRE_SERVICES=1 (CI): there every test must run.
 */
function recordSkip(name: string, why: ServicesReason): void {
  const { needs, reason } = normalise(why);
  if (servicesRequired()) {
    throw new Error(`"${name}" needs ${needs} (${reason}) and would be skipped, but REQUIRE_SERVICES=1 forbids skipping`);
  }
  const testPath = expect.getState().testPath ?? 'unknown test file';
  const runDir = process.env[RUN_DIR_VARIABLE];
  const record: SkipRecord = { testPath, name, needs, reason };
  if (runDir) appendFileSync(join(runDir, SKIPS_FILE), `${JSON.stringify(record)}\n`);
  else process.stderr.write(`skipped (needs ${needs}): ${name} — ${reason}\n`);
}

/**
 * A group of tests that needs RabbitMQ itself (a broker restart, delivery
 * limits, raw messages, queue depths, separate worker processes), or a
 * PostgreSQL server rather than PGlite's single backend (say so with
 * `{ needs: 'PostgreSQL', reason }`). In services mode it is an ordinary
 * `describe`; in embedded mode its tests are registered as skipped and the
 * skip is printed with its reason.
 */
export function describeWithServices(reason: ServicesReason, name: string, body: () => void): void {
  if (testMode() === 'services') {
    describe(name, body);
    return;
  }
  recordSkip(name, reason);
  describe.skip(name, body);
}

/**
 * A group of tests that needs Redis (and, for several API or worker
 * processes, the services mode): an ordinary `describe` when both are there,
 * else skipped with its reason, which REQUIRE_SERVICES=1 forbids. The skip
 * names RabbitMQ in embedded mode unless `needsBroker` is false (Redis alone).
 */
export function describeWithRedis(reason: string, name: string, body: () => void, needsBroker = true): void {
  if (testMode() === 'services' && process.env[REDIS_VARIABLE] === 'up') {
    describe(name, body);
    return;
  }
  recordSkip(name, { needs: testMode() === 'services' || !needsBroker ? 'Redis' : 'RabbitMQ', reason });
  describe.skip(name, body);
}

/**
 * A group of tests that needs a program CI installs (Debian's prometheus
 * package): an ordinary `describe` when it is on PATH, and in services mode
 * even when it is not, so that there it fails, saying so; in embedded mode
 * without it (a machine with Node.js alone), skipped with its reason, which
 * REQUIRE_SERVICES=1 forbids.
 */
export function describeWithProgram(present: boolean, needs: Service, reason: string, name: string, body: () => void): void {
  if (present || testMode() === 'services') {
    describe(name, body);
    return;
  }
  recordSkip(name, { needs, reason });
  describe.skip(name, body);
}

/** One test that needs RabbitMQ itself; see describeWithServices. */
export function itWithServices(reason: ServicesReason, name: string, body: () => Promise<unknown>, timeout?: number): void {
  if (testMode() === 'services') {
    it(name, body, timeout);
    return;
  }
  recordSkip(name, reason);
  it.skip(name, body, timeout);
}

/**
 * Assertions inside a test that look at RabbitMQ itself (a delay queue
 * holding the retry at that moment): run in services mode; in embedded mode
 * left out, and said so, while the rest of the test runs.
 */
export async function withServices(reason: ServicesReason, assertions: () => Promise<void>): Promise<void> {
  if (testMode() === 'services') return assertions();
  recordSkip(`${expect.getState().currentTestName ?? 'a test'} (partly)`, reason);
}
