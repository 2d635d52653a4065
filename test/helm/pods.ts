/**
 * Reads rendered workloads the way the kubelet does: which program each
 * container runs, with which environment (ConfigMaps and Secrets resolved),
 * and on which port a probe lands. Shared by the chart and smoke suites.
 */
import 'reflect-metadata';
import { CONFIG_VARIABLES } from '@baton/config';
import { K8sObject, podSpecOf } from './helm';

/** The programs of the image, as paths relative to its WORKDIR (/app, the repository root here). */
export const ENTRY_POINTS = {
  api: 'dist/apps/api/src/main.js',
  worker: 'dist/apps/worker/src/main.js',
  cli: 'dist/apps/cli/src/main.js',
} as const;

export type Role = 'api' | 'worker' | 'migrate';

/** Every variable Baton reads (libs/config: BatonConfig's properties and the two secrets), and Node's NODE_OPTIONS (the heap's size). */
export const APP_VARIABLES: ReadonlySet<string> = new Set([...CONFIG_VARIABLES, 'NODE_OPTIONS']);

export interface ContainerRun {
  workload: K8sObject;
  container: any;
  role: Role;
  /** What the container runs: its command (or the image's entrypoint) followed by its args. */
  argv: string[];
}

export function workloadsOf(objects: K8sObject[]): K8sObject[] {
  return objects.filter((object) => object.kind === 'Deployment' || object.kind === 'Job');
}

/** The role of a program from its argv: the API, a worker, or the CLI's migrate command. */
export function roleOf(argv: string[]): Role {
  const [program, entry, ...rest] = argv;
  if (program !== 'node') throw new Error(`not a node command: ${argv.join(' ')}`);
  if (entry === ENTRY_POINTS.api && rest.length === 0) return 'api';
  if (entry === ENTRY_POINTS.worker && rest.length === 0) return 'worker';
  if (entry === ENTRY_POINTS.cli && rest.length === 1 && rest[0] === 'migrate') return 'migrate';
  throw new Error(`unknown Baton command: ${argv.join(' ')}`);
}

export function containerRuns(objects: K8sObject[]): ContainerRun[] {
  return workloadsOf(objects).flatMap((workload) =>
    (podSpecOf(workload).containers as any[]).map((container) => {
      const argv = [...(container.command ?? []), ...(container.args ?? [])];
      return { workload, container, role: roleOf(argv), argv };
    }),
  );
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

function secretData(secret: K8sObject): Record<string, string> {
  const decoded = Object.fromEntries(Object.entries((secret.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  return { ...decoded, ...((secret.stringData ?? {}) as Record<string, string>) };
}

/**
 * A Secret the chart does not render (an existing one): its value for `key`,
 * or undefined when the test has none for it.
 */
export type ExternalSecrets = (name: string, key: string) => string | undefined;

/** The variables the container's process sees, as the kubelet builds them: envFrom first, env over it. */
export function resolveEnv(run: ContainerRun, objects: K8sObject[], external: ExternalSecrets = () => undefined): Record<string, string> {
  const env: Record<string, string> = {};
  const secretValue = (name: string, key: string): string => {
    const secret = find(objects, 'Secret', name);
    const value = secret ? secretData(secret)[key] : external(name, key);
    if (value === undefined) throw new Error(`${run.workload.metadata.name}: Secret ${name} has no key ${key}`);
    return value;
  };
  for (const source of run.container.envFrom ?? []) {
    if (source.configMapRef) {
      const configMap = find(objects, 'ConfigMap', source.configMapRef.name);
      if (!configMap) throw new Error(`${run.workload.metadata.name}: no ConfigMap ${source.configMapRef.name}`);
      Object.assign(env, configMap.data ?? {});
    } else if (source.secretRef) {
      const secret = find(objects, 'Secret', source.secretRef.name);
      if (!secret) throw new Error(`${run.workload.metadata.name}: envFrom an unrendered Secret ${source.secretRef.name}`);
      Object.assign(env, secretData(secret));
    } else {
      throw new Error(`unsupported envFrom ${JSON.stringify(source)}`);
    }
  }
  for (const variable of run.container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
    else if (variable.valueFrom?.secretKeyRef) env[variable.name] = secretValue(variable.valueFrom.secretKeyRef.name, variable.valueFrom.secretKeyRef.key);
    else if (variable.valueFrom?.configMapKeyRef) {
      const { name, key } = variable.valueFrom.configMapKeyRef;
      const value = find(objects, 'ConfigMap', name)?.data?.[key];
      if (value === undefined) throw new Error(`${run.workload.metadata.name}: ConfigMap ${name} has no key ${key}`);
      env[variable.name] = value;
    } else throw new Error(`unsupported env source for ${variable.name}: ${JSON.stringify(variable)}`);
  }
  return env;
}

/** Names of the variables a container gets, without resolving their values. */
export function variableNames(run: ContainerRun, objects: K8sObject[]): string[] {
  const names = new Set<string>();
  for (const source of run.container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const object = find(objects, source.configMapRef ? 'ConfigMap' : 'Secret', ref.name);
    if (!object) throw new Error(`${run.workload.metadata.name}: envFrom ${ref.name}, which the chart does not render`);
    for (const key of Object.keys(source.configMapRef ? (object.data ?? {}) : secretData(object))) names.add(key);
  }
  for (const variable of run.container.env ?? []) names.add(variable.name);
  return [...names];
}

/** The container port a probe's (named or numbered) port designates. */
export function resolvePort(container: any, port: string | number): number {
  if (typeof port === 'number') return port;
  const named = (container.ports ?? []).find((candidate: any) => candidate.name === port);
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`);
  return named.containerPort;
}

export const PROBES = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;
export type ProbeName = (typeof PROBES)[number];

/**
 * A probe as the kubelet makes it: HTTP GET on the probe's port (`hostPort`
 * maps a container port to where it listens here), success for 200-399,
 * within timeoutSeconds.
 */
export async function probeOnce(container: any, probeName: ProbeName, hostPort: (containerPort: number) => number): Promise<boolean> {
  const probe = container[probeName];
  const port = hostPort(resolvePort(container, probe.httpGet.port));
  try {
    const response = await fetch(`http://127.0.0.1:${port}${probe.httpGet.path}`, { signal: AbortSignal.timeout(probe.timeoutSeconds * 1000) });
    await response.arrayBuffer();
    return response.status >= 200 && response.status < 400;
  } catch {
    return false;
  }
}
