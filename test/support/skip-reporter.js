// @ts-check
/**
 * Says plainly which tests did not run and why: under each suite's result
 * and again after the summary, one line per group or test skipped because
 * it needs a real RabbitMQ or PostgreSQL (see test/support/mode.ts). A skipped test that
 * gave no reason is listed too. With REQUIRE_SERVICES=1 (CI) any skipped
 * test fails the run.
 */
const { existsSync, readFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const RUN_DIR_VARIABLE = 'BATON_TEST_RUN_DIR';
const SKIPS_FILE = 'skipped.jsonl';

class SkipReporter {
  /** @param {{ rootDir: string }} globalConfig */
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    /** @type {string[]} */
    this.lines = [];
    /** @type {Error | undefined} */
    this.error = undefined;
  }

  /** @returns {Array<{ testPath: string, name: string, needs: string, reason: string }>} */
  records() {
    const runDir = process.env[RUN_DIR_VARIABLE];
    if (!runDir || !existsSync(join(runDir, SKIPS_FILE))) return [];
    return readFileSync(join(runDir, SKIPS_FILE), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
  }

  /**
   * @param {unknown} _test
   * @param {{ testFilePath: string, testResults: Array<{ status: string, title: string, ancestorTitles: string[], fullName: string }> }} result
   */
  onTestResult(_test, result) {
    const file = relative(this.rootDir, result.testFilePath);
    const records = this.records().filter((record) => record.testPath === result.testFilePath);
    const lines = records.map((record) => `skipped (needs ${record.needs}): ${file} › ${record.name} — ${record.reason}`);
    const explained = (/** @type {{ title: string, ancestorTitles: string[] }} */ test) =>
      records.some((record) => record.name === test.title || test.ancestorTitles.includes(record.name));
    for (const test of result.testResults) {
      if ((test.status === 'pending' || test.status === 'todo' || test.status === 'skipped') && !explained(test)) {
        lines.push(`skipped without a reason: ${file} › ${test.fullName}`);
      }
    }
    if (lines.length === 0) return;
    this.lines.push(...lines);
    process.stderr.write(`${lines.map((line) => `  ${line}`).join('\n')}\n`);
  }

  /** @param {unknown} _contexts @param {{ numPendingTests: number, numTodoTests: number }} results */
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    if (this.lines.length > 0) {
      process.stderr.write(`\nNot run (${skipped} tests):\n${this.lines.map((line) => `  ${line}`).join('\n')}\n`);
    }
    if (process.env.REQUIRE_SERVICES === '1' && skipped > 0) {
      this.error = new Error(`REQUIRE_SERVICES=1: ${skipped} ${skipped === 1 ? "test was" : "tests were"} skipped; every test must run`);
      process.stderr.write(`\n${this.error.message}\n`);
    }
  }

  getLastError() {
    return this.error;
  }
}

module.exports = SkipReporter;
