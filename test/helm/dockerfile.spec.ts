/**
 * The Dockerfile cannot be built here (no Docker engine), so it is read:
 * its stages, its runtime settings, and that what it runs, and what the
 * chart runs in it, exists in the built dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name.trim()] = value.trim();
    } else if (upper === 'FROM') {
      const [image, as, name] = rest.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? '').split(/\s+/);
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
const stages = parseDockerfile(DOCKERFILE);
const runtime = stages.at(-1)!;
const last = (keyword: string) => runtime.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
const runs = (stage: Stage) => stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.rest);
const stageNamed = (name: string | undefined) => stages.find((stage) => stage.name === name);

/** The stage (following FROM <earlier stage>) a stage builds on, and so on, as one list of RUN lines. */
const runsWithBase = (stage: Stage): string[] => [...(stageNamed(stage.image) ? runsWithBase(stageNamed(stage.image)!) : []), ...runs(stage)];

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
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const matcher = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/^\//, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(.*/)?')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')}(/.*)?$`,
      );
    const isIgnored = (path: string) => ignored.some((pattern) => !pattern.startsWith('!') && matcher(pattern).test(path));
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
});
