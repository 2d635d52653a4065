import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'client-calls.ts');
const EXPECTED_ERROR = /^\s*\/\/ @ts-expect-error\b/;

/** Compiles the fixture with the project's compiler options, its text given by `text`; returns the diagnostics' lines (1-based) and messages. */
function compile(text: string): Array<{ line: number; message: string }> {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === FIXTURE ? text : readFile(name));
  const program = ts.createProgram([FIXTURE], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ({
    line: diagnostic.file ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1 : 0,
    message: `${diagnostic.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
  }));
}

describe("@baton/client's types", () => {
  const fixture = readFileSync(FIXTURE, 'utf8');
  const lines = fixture.split('\n');
  // The line after each directive: a deliberately wrong call.
  const wrongCalls = lines.flatMap((line, index) => (EXPECTED_ERROR.test(line) ? [index + 2] : []));

  it('compile the calls a backend makes, and refuse each deliberately wrong one', () => {
    expect(wrongCalls.length).toBeGreaterThanOrEqual(6);
    // With the directives, a wrong call that compiled would be an "unused @ts-expect-error" error.
    expect(compile(fixture)).toEqual([]);
  }, 120_000);

  it('fail on exactly the wrong calls once nothing expects their errors', () => {
    const bare = lines.map((line) => (EXPECTED_ERROR.test(line) ? '' : line)).join('\n');
    const failing = new Set(compile(bare).map(({ line }) => line));
    expect([...failing].sort((a, b) => a - b)).toEqual(wrongCalls);
  }, 120_000);
});
