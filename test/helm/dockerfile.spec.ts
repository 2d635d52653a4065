/**
 * The Dockerfile, read: its stages, its runtime settings, what the
 * production stage installs, and that what it runs, and what the chart runs
 * in it, exists in the built dist/. The image itself is built and run, as
 * the chart runs it, by .ci/image/run (a Docker engine; not part of jest).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmBinary, ROOT, SCENARIOS, template } from './helm';
import { containerRuns, ENTRY_POINTS } from './pods';

interface Instruction {
  keyword: string;
  /** The arguments, flags included, as written. */
  rest: string;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions: comments dropped, continuations joined, ARG defaults substituted in FROM. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const substitute = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? '');
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      // A default may name an ARG declared before it (BUILD_IMAGE=${NODE_IMAGE}).
      const [name, value = ''] = rest.split('=');
      args[name.trim()] = substitute(value.trim());
    } else if (upper === 'FROM') {
      const [image, as, name] = substitute(rest).split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`instruction before FROM: ${line}`);
      stages.at(-1)!.instructions.push({ keyword: upper, rest });
    }
  }
  return stages;
}

const jsonForm = (instruction: Instruction | undefined): string[] => {
  if (!instruction) throw new Error('instruction missing');
  const parsed = JSON.parse(instruction.rest) as unknown;
  if (!Array.isArray(parsed)) throw new Error(`${instruction.keyword} must use the JSON (exec) form: ${instruction.rest}`);
  return parsed as string[];
};

const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const stages = parseDockerfile(DOCKERFILE);
const runtime = stages.at(-1)!;
const last = (keyword: string) => runtime.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
const runs = (stage: Stage) => stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.rest);
const stageNamed = (name: string | undefined) => stages.find((stage) => stage.name === name);

/** The stage (following FROM <earlier stage>) a stage builds on, and so on, as one list of RUN lines. */
const runsWithBase = (stage: Stage): string[] => [...(stageNamed(stage.image) ? runsWithBase(stageNamed(stage.image)!) : []), ...runs(stage)];

/** The stage whose node_modules/ the runtime copies: what the processes load. */
const productionStage = (): Stage | undefined => {
  const from = runtime.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => /--from=(\S+)\s+\/app\/node_modules\s/.exec(instruction.rest)?.[1])
    .find((name) => name !== undefined);
  return stageNamed(from);
};

/** The npm commands of a RUN line, each as its words (`&&`, `;` and `|` split commands). */
const npmCommands = (line: string): string[][] =>
  line
    .split(/&&|\|\||;|\|/)
    .map((command) => command.trim().split(/\s+/))
    .filter((words) => words[0] === 'npm');

/** The dependency types an npm command leaves out, after its --include flags (which win over --omit). */
function omittedTypes(words: string[]): Set<string> {
  const values = (flag: string) =>
    words.flatMap((word, index) => (word.startsWith(`${flag}=`) ? [word.slice(flag.length + 1)] : word === flag ? [words[index + 1]] : []));
  const omitted = new Set(values('--omit'));
  if (words.includes('--production') || values('--only').some((only) => /^prod/.test(only))) omitted.add('dev');
  if (words.includes('--no-optional')) omitted.add('optional');
  for (const type of values('--include')) omitted.delete(type);
  return omitted;
}

const IGNORED = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
// `**/` stands in as a NUL until the single `*` are done, or their rewrite would turn its `.*` into `.[^/]*` (one folder deep).
const ignoreMatcher = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/^\//, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\0')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\0/g, '(.*/)?')}(/.*)?$`,
  );
const isIgnored = (path: string) => IGNORED.some((pattern) => !pattern.startsWith('!') && ignoreMatcher(pattern).test(path));

describe('Dockerfile', () => {
  beforeAll(() => {
    helmBinary();
  });

  it('builds in stages: npm ci, the build, production dependencies alone, then a small runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const build = stages.find((stage) => runsWithBase(stage).some((line) => /\bnpm run build\b/.test(line)));
    expect(build).toBeDefined();
    expect(runsWithBase(build!).some((line) => /\bnpm ci\b/.test(line) && !/--omit=dev/.test(line))).toBe(true);
    const production = stages.find((stage) => runs(stage).some((line) => /\bnpm ci\b.*--omit=dev/.test(line)));
    expect(production).toBeDefined();
    expect(runtime.image).toMatch(/^node:20(\.\d+)*-((bookworm|bullseye)-)?(slim|alpine[\d.]*)$/);
    // The runtime takes dist/ from the build and node_modules/ from the production stage, and builds nothing itself.
    const copies = runtime.instructions.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.rest);
    expect(copies).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`--from=${build!.name}\\s+/app/dist\\s+\\./dist$`))]));
    expect(copies).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`--from=${production!.name}\\s+/app/node_modules\\s+\\./node_modules$`))]));
    expect(runs(runtime).some((line) => /\bnpm (ci|install|run)\b/.test(line))).toBe(false);
  });

  it('runs as a non-root numeric user, in production mode, under an init process', () => {
    expect(last('ENV')?.rest).toMatch(/\bNODE_ENV=production\b/);
    const user = last('USER')?.rest ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    const entrypoint = jsonForm(last('ENTRYPOINT'));
    expect(entrypoint[0]).toMatch(/\/(tini|dumb-init)$/);
    expect(runs(runtime).some((line) => /\b(tini|dumb-init)\b/.test(line))).toBe(true);
    expect(last('WORKDIR')?.rest).toBe('/app');
  });

  it('starts the API with node itself, never npm', () => {
    const cmd = jsonForm(last('CMD'));
    expect(cmd).toEqual(['node', ENTRY_POINTS.api]);
    expect([...jsonForm(last('ENTRYPOINT')), ...cmd]).not.toContain('npm');
  });

  it('has every program the image CMD and the chart run in the built dist/', async () => {
    const paths = new Set<string>([jsonForm(last('CMD'))[1]]);
    const rendered = await Promise.all([[], ...SCENARIOS.map((scenario) => [scenario])].map((valuesFiles) => template({ valuesFiles })));
    for (const objects of rendered) for (const run of containerRuns(objects)) paths.add(run.argv[1]);
    expect([...paths].sort()).toEqual(Object.values(ENTRY_POINTS).sort());
    // WORKDIR /app holds what the repository root holds after `npm run build`.
    for (const path of paths) expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
  });

  it('copies only sources that exist and that .dockerignore lets through, and ignores node_modules and dist', () => {
    expect(isIgnored('node_modules')).toBe(true);
    expect(isIgnored('dist')).toBe(true);
    const sources = stages
      .flatMap((stage) => stage.instructions)
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.rest.startsWith('--from'))
      .flatMap((instruction) => instruction.rest.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'apps', 'libs']));
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)), ignored: isIgnored(source) }).toEqual({ source, exists: true, ignored: false });
    }
  });

  it('starts the runtime stage from NODE_IMAGE, never from BUILD_IMAGE, the npm stages\' base that may carry a build host\'s CA bundle', () => {
    const froms = DOCKERFILE.split(/\r?\n/).filter((line) => /^FROM\s/i.test(line));
    expect(froms.at(-1)).toMatch(/^FROM\s+\$\{NODE_IMAGE\}\s/);
    expect(froms.filter((line) => /\bBUILD_IMAGE\b/.test(line)).length).toBeGreaterThan(0);
    expect(DOCKERFILE).toMatch(/^ARG BUILD_IMAGE=\$\{NODE_IMAGE\}$/m);
  });

  it('has no `# syntax=` directive, which makes BuildKit fetch a frontend image from a registry before anything else', () => {
    const directives = DOCKERFILE.split(/\r?\n/).filter((line) => /^\s*#\s*syntax\s*=/i.test(line));
    expect(directives).toEqual([]);
  });

  it('installs the production dependencies alone: no dev, optional or peer-only packages (ts-node, typescript, PGlite)', () => {
    const production = productionStage();
    expect(production).toBeDefined();
    // Built on an earlier stage, it would carry that stage's node_modules/ whatever its own npm ci leaves out.
    expect(stageNamed(production!.image)).toBeUndefined();
    const commands = runs(production!).flatMap(npmCommands);
    expect(commands.filter((words) => words[1] !== 'cache').map((words) => words.slice(0, 2).join(' '))).toEqual(['npm ci']);
    const install = commands.find((words) => words[1] === 'ci')!;
    expect([...omittedTypes(install)]).toEqual(expect.arrayContaining(['dev', 'optional', 'peer']));
    const settings = production!.instructions.filter((instruction) => instruction.keyword === 'ENV' || instruction.keyword === 'ARG').map((instruction) => instruction.rest);
    expect(settings.filter((setting) => /\bnpm_config_(include|omit|only|production|optional)\b/i.test(setting))).toEqual([]);
  });

  it('lets into the build what the build script copies into dist/ (the invoice fonts), and leaves out the standalone app', () => {
    const copied = [...PACKAGE.scripts.build.matchAll(/\bcp\s+(?:-\w+\s+)*(\S+)\s+dist\//g)].map((match) => match[1]);
    for (const source of copied) {
      expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
      const paths = [source, ...readdirSync(join(ROOT, source), { recursive: true, encoding: 'utf8' }).map((path) => `${source}/${path}`)];
      expect(paths.filter(isIgnored)).toEqual([]);
    }
    // `npm start`'s embedded mode: it needs PGlite, which the production stage leaves out.
    expect(isIgnored('apps/standalone')).toBe(true);
  });
});
