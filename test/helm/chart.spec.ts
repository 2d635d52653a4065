/**
 * The Helm chart (helm/baton), rendered with its default values and with
 * each scenario under helm/baton/ci/: lint, strict Kubernetes schemas, and
 * what the apps need from it (probes, variables, shutdown, migrations).
 */
import 'reflect-metadata';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BatonConfig, ConfigVariable, loadConfig, RequiredVariable, RequiredVariables } from '@baton/config';
import { API_KEY_PATTERN, JOB_TYPES, TENANT_PATTERN, WORKER_QUEUE_NAMES } from '@baton/contracts';
import { LIVE_PATH, READY_PATH } from '@baton/health';
import { SmtpMailTransport, variablesRequiredFor } from '@baton/jobs';
import { WebhookAddressPolicy } from '@baton/webhooks';
import ipaddr from 'ipaddr.js';
import { CHART_DIR, helm, HelmError, K8sObject, lint, named, notes, ofKind, podSpecOf, SCENARIOS, selects, template } from './helm';
import { validateStrictly } from './kube-schema';
import { APP_VARIABLES, ContainerRun, containerRuns, PROBES, resolveEnv, resolvePort, Role, variableNames, workloadsOf } from './pods';

const DEFAULTS = '(default values)';
const CASES = [DEFAULTS, ...SCENARIOS];
const filesOf = (scenario: string) => (scenario === DEFAULTS ? [] : [scenario]);

/** Optional kinds each scenario must render, and no others. */
const OPTIONAL_KINDS = ['HorizontalPodAutoscaler', 'ScaledObject', 'TriggerAuthentication', 'PodDisruptionBudget', 'Ingress', 'NetworkPolicy', 'ServiceMonitor', 'PrometheusRule'];
const EXPECTED_OPTIONAL: Record<string, string[]> = {
  [DEFAULTS]: [],
  'hpa-values.yaml': ['HorizontalPodAutoscaler'],
  'keda-values.yaml': ['ScaledObject', 'TriggerAuthentication'],
  'existing-secret-values.yaml': ['ScaledObject', 'TriggerAuthentication'],
  'ingress-values.yaml': ['Ingress'],
  'networkpolicy-values.yaml': ['NetworkPolicy'],
  'servicemonitor-values.yaml': ['ServiceMonitor'],
  'pdb-values.yaml': ['PodDisruptionBudget'],
  'hardened-overrides-values.yaml': [],
  'api-http-values.yaml': [],
  'auth-and-rate-limit-values.yaml': ['NetworkPolicy'],
  'read-cache-values.yaml': ['NetworkPolicy'],
  'readme-example-values.yaml': ['Ingress', 'PodDisruptionBudget', 'ScaledObject', 'TriggerAuthentication', 'ServiceMonitor'],
  'emails-values.yaml': ['NetworkPolicy', 'ScaledObject', 'TriggerAuthentication'],
  'emails-existing-secret-values.yaml': ['HorizontalPodAutoscaler', 'NetworkPolicy'],
  'webhooks-values.yaml': ['NetworkPolicy', 'ScaledObject', 'TriggerAuthentication'],
  'retention-values.yaml': [],
  'tracing-values.yaml': ['NetworkPolicy'],
  'monitoring-values.yaml': ['PrometheusRule', 'ServiceMonitor', 'ScaledObject', 'TriggerAuthentication'],
  'read-replicas-values.yaml': [],
  'rabbitmq-cluster-values.yaml': [],
};

const RECOMMENDED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
  'helm.sh/chart',
];

const CHART = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
const VALUES = parseYaml(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, any>;

/** Values as Helm coalesces them: the scenario over values.yaml, maps merged, null deleting a key. */
function effectiveValues(scenario: string): Record<string, any> {
  const merge = (base: any, over: any): any => {
    if (over === undefined) return base;
    if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
    const out: Record<string, any> = { ...base };
    for (const [key, value] of Object.entries(over)) {
      if (value === null) delete out[key];
      else out[key] = merge(base[key], value);
    }
    return out;
  };
  return scenario === DEFAULTS ? VALUES : merge(VALUES, parseYaml(readFileSync(join(CHART_DIR, 'ci', scenario), 'utf8')));
}

/**
 * The worker groups a scenario renders, each merged over workerDefaults: the
 * enabled ones, less those consuming only emails while emails is off, or
 * only webhooks while webhooks is off.
 */
function workerGroups(scenario: string): Record<string, any> {
  const values = effectiveValues(scenario);
  const disabled: string[] = [...(values.emails.enabled ? [] : ['emails']), ...(values.webhooks.enabled ? [] : ['webhooks'])];
  const merge = (base: any, over: any): any =>
    typeof over === 'object' && over !== null && !Array.isArray(over) && typeof base === 'object' && base !== null && !Array.isArray(base)
      ? Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(over)])].map((key) => [key, key in over ? merge(base[key], over[key]) : base[key]]))
      : over;
  return Object.fromEntries(
    Object.entries(values.workers as Record<string, any>)
      .filter(([, group]) => group)
      .map(([name, group]) => [name, merge(values.workerDefaults, group)])
      .filter(([, group]) => group.enabled && (group.queues as string[]).some((queue) => !disabled.includes(queue))),
  );
}

/** Stand-ins for the Secrets the chart does not render (secret.existingSecret, rateLimit.redis, auth.bootstrapKey), by name and key. */
const EXISTING_SECRETS: Record<string, Record<string, string>> = {
  'baton-credentials': {
    'postgres-uri': 'postgres://baton:secret@db.example:5432/baton',
    'amqp-uri': 'amqp://baton:secret@mq.example:5672/baton',
    // The README's example keeps the chart's default keys.
    DATABASE_URL: 'postgres://baton:secret@db.example:5432/baton',
    RABBITMQ_URL: 'amqp://baton:secret@mq.example:5672/baton',
    'replica-uris': 'postgres://baton:secret@replica-1.example:5432/baton,postgres://baton:secret@replica-2.example:5432/baton',
    'amqp-node-uris': 'amqp://baton:secret@mq-0.example:5672/baton,amqp://baton:secret@mq-1.example:5672/baton,amqp://baton:secret@mq-2.example:5672/baton',
  },
  'baton-redis': { url: 'rediss://:secret@redis.example:6380/0' },
  'baton-smtp': { url: 'smtps://baton:secret@smtp.example.com:465' },
  'baton-bootstrap-key': { 'api-key': `baton_${'0123456789abcdef'.repeat(4)}` },
};
const external = (name: string, key: string) => EXISTING_SECRETS[name]?.[key];

/** Variables the chart sets on the API container only, on the migration Job only, and on the emails workers only. */
const API_ONLY = ['HTTP_REQUEST_TIMEOUT_MS', 'HTTP_HEADERS_TIMEOUT_MS', 'HTTP_MAX_IN_FLIGHT', 'HTTP_MAX_IN_FLIGHT_BYTES', 'CORS_ORIGINS', 'RATE_LIMIT_MAX', 'RATE_LIMIT_WINDOW_MS', 'API_KEY_CACHE_MS', 'DISABLED_JOB_TYPES', 'DATABASE_READ_URL', 'DATABASE_READ_MIN_AGE_MS'];
const MIGRATE_ONLY = ['BATON_BOOTSTRAP_API_KEY', 'BATON_BOOTSTRAP_TENANT'];
const EMAILS_WORKER_ONLY = ['SMTP_URL', 'MAIL_FROM'];
/** Set beside REDIS_URL only, alike in the API and the workers (which drop the API's entries). */
const READ_CACHE_VARIABLES = ['READ_CACHE_TTL_SEC', 'READ_CACHE_PREFIX', 'READ_CACHE_TIMEOUT_MS'];
/** The WEBHOOK_* variables: those the API reads too, and those only the groups that deliver webhooks read. */
const WEBHOOK_API_AND_DELIVERY = ['WEBHOOK_ALLOW_HTTP', 'WEBHOOK_ALLOWED_HOSTS', 'WEBHOOK_SECRET_GRACE_SEC'];
const WEBHOOK_DELIVERY_ONLY = ['WEBHOOK_RETRY_SCHEDULE_SEC', 'WEBHOOK_TIMEOUT_MS'];

/**
 * The variables a process refuses to start without, as its main.ts asks
 * loadConfig for them: the migration needs DATABASE_URL; the API both URLs;
 * a worker both URLs and whatever the job types of its WORKER_QUEUES need
 * (apps/worker/src/main.ts; the emails worker: SMTP_URL and MAIL_FROM).
 */
function requiredVariables(role: Role): RequiredVariables {
  if (role === 'migrate') return ['DATABASE_URL'];
  if (role === 'api') return ['DATABASE_URL', 'RABBITMQ_URL'];
  return (config) => ['DATABASE_URL', 'RABBITMQ_URL', ...variablesRequiredFor(config.WORKER_QUEUES)];
}
const variableName = (entry: ConfigVariable | RequiredVariable): string => (typeof entry === 'string' ? entry : entry.name);
/** A container's env entry by name (undefined when it has none). */
const envVar = (run: ContainerRun, name: string): any => (run.container.env as any[]).find((variable) => variable.name === name);

const rendered = new Map<string, K8sObject[]>();
const render = (scenario: string) => {
  const objects = rendered.get(scenario);
  if (!objects) throw new Error(`${scenario} was not rendered`);
  return objects;
};
const component = (object: K8sObject) => object.metadata.labels?.['app.kubernetes.io/component'];
const deploymentOf = (objects: K8sObject[], name: string) => named(objects, 'Deployment', name);
const runsOf = (objects: K8sObject[], role: ContainerRun['role']) => containerRuns(objects).filter((run) => run.role === role);
/** The container of worker group `group`. */
const workerRun = (objects: K8sObject[], group: string) => {
  const run = runsOf(objects, 'worker').find((candidate) => component(candidate.workload) === `worker-${group}`);
  if (!run) throw new Error(`no worker group ${group} among ${runsOf(objects, 'worker').map((candidate) => component(candidate.workload))}`);
  return run;
};
/** The egress rules of a component's NetworkPolicy. */
const egressOf = (objects: K8sObject[], componentName: string) => ofKind(objects, 'NetworkPolicy').find((policy) => component(policy) === componentName)!.spec.egress as any[];
/** Egress rules as protocol/port strings; a rule for every port of a protocol gives protocol/*. */
const portsOf = (rules: any[]) => rules.flatMap((rule) => rule.ports.map((port: any) => `${port.protocol}/${port.port ?? '*'}`)).sort();

beforeAll(async () => {
  await Promise.all(CASES.map(async (scenario) => rendered.set(scenario, await template({ valuesFiles: filesOf(scenario) }))));
});

describe('scenario files', () => {
  it('cover every feature the chart makes optional', () => {
    for (const file of ['hpa', 'keda', 'existing-secret', 'ingress', 'networkpolicy', 'servicemonitor', 'pdb', 'api-http', 'auth-and-rate-limit', 'read-cache', 'emails', 'emails-existing-secret', 'webhooks', 'retention', 'tracing', 'monitoring', 'read-replicas']) {
      expect(SCENARIOS).toContain(`${file}-values.yaml`);
    }
    // A new scenario must say which optional objects it renders.
    expect(Object.keys(EXPECTED_OPTIONAL).sort()).toEqual([...CASES].sort());
  });
});

describe.each(CASES)('with %s', (scenario) => {
  it('passes helm lint --strict', async () => {
    await expect(lint({ valuesFiles: filesOf(scenario) })).resolves.toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders only objects that validate strictly against their Kubernetes schema', () => {
    const objects = render(scenario);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) validateStrictly(object);
  });

  it('renders exactly the optional objects it enables', () => {
    const present = [...new Set(render(scenario).map((object) => object.kind))].filter((kind) => OPTIONAL_KINDS.includes(kind)).sort();
    expect(present).toEqual([...EXPECTED_OPTIONAL[scenario]].sort());
  });

  it('labels every object with the recommended labels and names it within 63 characters', () => {
    for (const object of render(scenario)) {
      const labels = object.metadata.labels ?? {};
      const where = `${object.kind}/${object.metadata.name}`;
      expect({ where, missing: RECOMMENDED_LABELS.filter((label) => !labels[label]) }).toEqual({ where, missing: [] });
      expect(labels['app.kubernetes.io/name']).toBe(CHART.name);
      expect(labels['app.kubernetes.io/instance']).toBe('baton');
      expect(labels['app.kubernetes.io/managed-by']).toBe('Helm');
      expect(labels['app.kubernetes.io/version']).toBe(CHART.appVersion);
      expect(labels['helm.sh/chart']).toBe(`${CHART.name}-${CHART.version}`);
      expect(object.metadata.name.length).toBeLessThanOrEqual(63);
      expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it('gives every workload selector labels that are a subset of its pod labels, with instance and component, and no other workload matches them', () => {
    const objects = render(scenario);
    const deployments = ofKind(objects, 'Deployment');
    for (const deployment of deployments) {
      const selector = deployment.spec.selector.matchLabels;
      expect(Object.keys(selector)).toEqual(expect.arrayContaining(['app.kubernetes.io/instance', 'app.kubernetes.io/component']));
      expect(selects(selector, deployment.spec.template.metadata.labels)).toBe(true);
      expect(selects(selector, deployment.metadata.labels)).toBe(true);
      const matching = deployments.filter((other) => selects(selector, other.spec.template.metadata.labels));
      expect(matching.map((other) => other.metadata.name)).toEqual([deployment.metadata.name]);
    }
  });

  it('points every Service, PDB, NetworkPolicy, ServiceMonitor, autoscaler and Ingress at objects it renders', () => {
    const objects = render(scenario);
    const deployments = ofKind(objects, 'Deployment');
    const podsSelectedBy = (selector: Record<string, string>) => deployments.filter((deployment) => selects(selector, deployment.spec.template.metadata.labels));
    for (const service of ofKind(objects, 'Service')) {
      const [target, ...others] = podsSelectedBy(service.spec.selector);
      expect({ service: service.metadata.name, others: others.length, target: target?.metadata.name }).toEqual({ service: service.metadata.name, others: 0, target: expect.any(String) });
      const containerPorts = podSpecOf(target).containers.flatMap((container: any) => container.ports.map((port: any) => port.name));
      for (const port of service.spec.ports) expect(containerPorts).toContain(port.targetPort);
    }
    for (const object of [...ofKind(objects, 'PodDisruptionBudget')]) {
      expect(podsSelectedBy(object.spec.selector.matchLabels)).toHaveLength(1);
      expect(component(podsSelectedBy(object.spec.selector.matchLabels)[0])).toBe(component(object));
    }
    for (const policy of ofKind(objects, 'NetworkPolicy')) {
      const [target, ...others] = podsSelectedBy(policy.spec.podSelector.matchLabels);
      expect(others).toHaveLength(0);
      const ports = podSpecOf(target).containers.flatMap((container: any) => container.ports.map((port: any) => port.name));
      for (const rule of policy.spec.ingress) for (const port of rule.ports) expect(ports).toContain(port.port);
    }
    for (const monitor of ofKind(objects, 'ServiceMonitor')) {
      const services = ofKind(objects, 'Service').filter((service) => selects(monitor.spec.selector.matchLabels, service.metadata.labels));
      expect(services).toHaveLength(1);
      for (const endpoint of monitor.spec.endpoints) expect(services[0].spec.ports.map((port: any) => port.name)).toContain(endpoint.port);
    }
    for (const scaler of [...ofKind(objects, 'HorizontalPodAutoscaler'), ...ofKind(objects, 'ScaledObject')]) {
      expect(scaler.spec.scaleTargetRef).toEqual(expect.objectContaining({ kind: 'Deployment', name: expect.any(String) }));
      const target = deploymentOf(objects, scaler.spec.scaleTargetRef.name);
      expect(target.spec.replicas).toBeUndefined(); // left to the autoscaler, never reset by an upgrade
    }
    for (const ingress of ofKind(objects, 'Ingress')) {
      for (const rule of ingress.spec.rules) {
        for (const path of rule.http.paths) {
          const service = named(objects, 'Service', path.backend.service.name);
          expect(service.spec.ports.map((port: any) => port.name)).toContain(path.backend.service.port.name);
          expect(component(service)).toBe('api');
        }
      }
    }
  });

  it('runs each container with args only (tini stays PID 1), as the API, a worker or the migration', () => {
    const runs = containerRuns(render(scenario));
    for (const run of runs) expect(run.container.command).toBeUndefined();
    expect(runs.filter((run) => run.role === 'api')).toHaveLength(1);
    expect(runs.filter((run) => run.role === 'worker')).toHaveLength(Object.keys(workerGroups(scenario)).length);
    expect(runs.filter((run) => run.role === 'migrate')).toHaveLength(1);
    for (const run of runs) expect(run.workload.kind).toBe(run.role === 'migrate' ? 'Job' : 'Deployment');
  });

  it('probes every long-running container at startup, liveness and readiness on the paths and port the app serves', () => {
    const objects = render(scenario);
    for (const run of containerRuns(objects).filter((candidate) => candidate.role !== 'migrate')) {
      const config = loadConfig(resolveEnv(run, objects, external), ['DATABASE_URL', 'RABBITMQ_URL']);
      const servedPort = run.role === 'api' ? config.PORT : config.HEALTH_PORT;
      const { startupProbe, livenessProbe, readinessProbe } = run.container;
      expect([startupProbe.httpGet.path, livenessProbe.httpGet.path, readinessProbe.httpGet.path]).toEqual([LIVE_PATH, LIVE_PATH, READY_PATH]);
      for (const probe of PROBES) {
        const { httpGet, timeoutSeconds } = run.container[probe];
        expect(httpGet.scheme ?? 'HTTP').toBe('HTTP');
        expect({ probe, port: resolvePort(run.container, httpGet.port) }).toEqual({ probe, port: servedPort });
        // Each readiness check is bounded at 800 ms: the probe must wait longer.
        expect(timeoutSeconds * 1000).toBeGreaterThan(800);
      }
      expect(resolvePort(run.container, run.container.ports[0].name)).toBe(servedPort);
    }
  });

  it('sets only variables the apps read, every variable they require, and values they accept', () => {
    const objects = render(scenario);
    for (const run of containerRuns(objects)) {
      const names = variableNames(run, objects);
      expect(names.filter((name) => !APP_VARIABLES.has(name))).toEqual([]);
      const env = resolveEnv(run, objects, external);
      const required = requiredVariables(run.role);
      const where = `${run.workload.kind}/${run.workload.metadata.name}`;
      const requiredNames = (typeof required === 'function' ? required(loadConfig(env)) : required).map(variableName);
      expect({ where, missing: requiredNames.filter((name) => !names.includes(name)) }).toEqual({ where, missing: [] });
      // The app's own validation, as at its start: a bad or missing value fails here.
      expect(() => loadConfig(env, required)).not.toThrow();
    }
  });

  it('sets the HTTP, CORS and rate-limit variables on the API only, the bootstrap key on the migration Job only, the mail settings on the emails workers only, the webhook settings on the API and the webhooks workers only, and Redis where a limit or the read cache uses it', () => {
    const objects = render(scenario);
    for (const run of containerRuns(objects)) {
      const names = variableNames(run, objects);
      const where = `${run.workload.kind}/${run.workload.metadata.name}`;
      const queues = run.role === 'worker' ? loadConfig(resolveEnv(run, objects, external)).WORKER_QUEUES : [];
      const misplaced = names.filter(
        (name) =>
          (API_ONLY.includes(name) && run.role !== 'api') ||
          (MIGRATE_ONLY.includes(name) && run.role !== 'migrate') ||
          (EMAILS_WORKER_ONLY.includes(name) && !queues.includes('emails' as any)) ||
          (WEBHOOK_DELIVERY_ONLY.includes(name) && !queues.includes('webhooks')) ||
          (WEBHOOK_API_AND_DELIVERY.includes(name) && run.role !== 'api' && !queues.includes('webhooks')) ||
          (name === 'WORKER_RATE_LIMITS' && run.role !== 'worker') ||
          // Redis: for the API's counts and read cache, or for a worker's queue rate limits or its retention's invalidations.
          (name === 'REDIS_URL' && run.role !== 'api' && !names.includes('WORKER_RATE_LIMITS') && !names.includes('READ_CACHE_TTL_SEC')) ||
          (READ_CACHE_VARIABLES.includes(name) && !names.includes('REDIS_URL')),
      );
      expect({ where, misplaced }).toEqual({ where, misplaced: [] });
      if (run.role === 'api') expect(names).toEqual(expect.arrayContaining(['HTTP_REQUEST_TIMEOUT_MS', 'HTTP_HEADERS_TIMEOUT_MS', 'RATE_LIMIT_MAX', 'RATE_LIMIT_WINDOW_MS', 'API_KEY_CACHE_MS', 'WEBHOOK_ALLOW_HTTP', 'WEBHOOK_SECRET_GRACE_SEC']));
      if (queues.includes('webhooks')) expect(names).toEqual(expect.arrayContaining(['WEBHOOK_ALLOW_HTTP', 'WEBHOOK_SECRET_GRACE_SEC', ...WEBHOOK_DELIVERY_ONLY]));
    }
    // Credentials only ever come from a Secret, never inline.
    for (const run of containerRuns(objects)) {
      for (const name of ['REDIS_URL', 'BATON_BOOTSTRAP_API_KEY', 'DATABASE_URL', 'DATABASE_READ_URL', 'RABBITMQ_URL', 'SMTP_URL']) {
        const variable = envVar(run, name);
        if (variable) expect({ name, value: variable.value, ref: variable.valueFrom?.secretKeyRef }).toEqual({ name, value: undefined, ref: expect.objectContaining({ name: expect.any(String), key: expect.any(String) }) });
      }
    }
  });

  it('gives each worker group its own WORKER_QUEUES and WORKER_CONCURRENCY', () => {
    const objects = render(scenario);
    const groups = workerGroups(scenario);
    const seen = new Set<string>();
    for (const [name, group] of Object.entries(groups)) {
      const deployment = ofKind(objects, 'Deployment').find((candidate) => component(candidate) === `worker-${name}`);
      expect(deployment).toBeDefined();
      const [run] = containerRuns([deployment!]);
      // Always set: unset, the worker would consume every queue, webhooks included.
      expect(envVar(run, 'WORKER_QUEUES')).toEqual({ name: 'WORKER_QUEUES', value: group.queues.join(',') });
      const config = loadConfig(resolveEnv(run, objects, external));
      expect(config.WORKER_QUEUES).toEqual(group.queues);
      expect(config.WORKER_CONCURRENCY).toBe(group.concurrency);
      expect(config.DATABASE_POOL_SIZE).toBeGreaterThanOrEqual(config.WORKER_CONCURRENCY);
      seen.add(deployment!.metadata.name);
    }
    expect(seen.size).toBe(Object.keys(groups).length);
  });

  it('hardens every pod and container', () => {
    const objects = render(scenario);
    for (const account of ofKind(objects, 'ServiceAccount')) expect(account.automountServiceAccountToken).toBe(false);
    for (const workload of workloadsOf(objects)) {
      const pod = podSpecOf(workload);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.hostNetwork ?? false).toBe(false);
      // Baton writes no files: no volume at all, so none is writable.
      expect(pod.volumes ?? []).toEqual([]);
      for (const container of pod.containers) {
        expect(container.securityContext).toEqual(
          expect.objectContaining({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        );
        expect(container.securityContext.capabilities.drop).toContain('ALL');
        expect(container.securityContext.capabilities.add ?? []).toEqual([]);
        expect(container.securityContext.privileged ?? false).toBe(false);
        expect(container.volumeMounts ?? []).toEqual([]);
        expect(container.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
        expect(container.resources?.limits?.memory).toBeDefined();
      }
    }
  });

  it('runs migrations as a pre-install,pre-upgrade hook Job whose Secret and ServiceAccount exist before it', () => {
    const objects = render(scenario);
    const values = effectiveValues(scenario);
    const [job, ...more] = ofKind(objects, 'Job');
    expect(more).toHaveLength(0);
    expect(job.metadata.annotations).toEqual(expect.objectContaining({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '0' }));
    const [run] = containerRuns([job]);
    expect(run.argv).toEqual(['node', 'dist/apps/cli/src/main.js', 'migrate']);
    expect(podSpecOf(job).restartPolicy).toBe('Never');
    // Nothing else migrates, and no long-running container does at start.
    for (const other of containerRuns(objects).filter((candidate) => candidate.workload !== job)) expect(other.argv).not.toContain('migrate');

    const weight = (object: K8sObject) => Number(object.metadata.annotations?.['helm.sh/hook-weight'] ?? '0');
    const mustPrecede = (kind: string, name: string, existing: string[]) => {
      const dependency = objects.find((object) => object.kind === kind && object.metadata.name === name);
      if (!dependency) {
        // Not rendered: it must be one that exists before the release.
        expect({ kind, name, existing }).toEqual({ kind, name, existing: expect.arrayContaining([name]) });
        return;
      }
      const hooks = (dependency.metadata.annotations?.['helm.sh/hook'] ?? '').split(',');
      expect({ kind, name, hooks }).toEqual({ kind, name, hooks: expect.arrayContaining(['pre-install', 'pre-upgrade']) });
      expect(weight(dependency)).toBeLessThan(weight(job));
    };
    const pod = podSpecOf(job);
    for (const source of run.container.envFrom ?? []) {
      if (source.configMapRef) mustPrecede('ConfigMap', source.configMapRef.name, []);
      if (source.secretRef) mustPrecede('Secret', source.secretRef.name, [values.secret.existingSecret]);
    }
    for (const variable of run.container.env ?? []) {
      if (variable.valueFrom?.secretKeyRef) mustPrecede('Secret', variable.valueFrom.secretKeyRef.name, [values.secret.existingSecret, values.auth.bootstrapKey.existingSecret].filter(Boolean));
      if (variable.valueFrom?.configMapKeyRef) mustPrecede('ConfigMap', variable.valueFrom.configMapKeyRef.name, []);
    }
    mustPrecede('ServiceAccount', pod.serviceAccountName, values.serviceAccount.create ? [] : [values.serviceAccount.name || 'default']);
    // A hook copy of a credential is deleted once the hooks have succeeded.
    for (const object of ofKind(objects, 'Secret').filter((secret) => secret.metadata.annotations?.['helm.sh/hook'])) {
      expect(object.metadata.annotations?.['helm.sh/hook-delete-policy']?.split(',')).toEqual(expect.arrayContaining(['hook-succeeded', 'before-hook-creation']));
    }
  });

  it('annotates every pod with checksums of the ConfigMap and the Secret', () => {
    for (const deployment of ofKind(render(scenario), 'Deployment')) {
      const annotations = deployment.spec.template.metadata.annotations ?? {};
      expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
      expect(annotations['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('gives every pod a terminationGracePeriodSeconds longer than its shutdown', () => {
    const objects = render(scenario);
    for (const run of containerRuns(objects).filter((candidate) => candidate.role !== 'migrate')) {
      const config = loadConfig(resolveEnv(run, objects, external));
      const preStopSeconds = run.container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      // The worker drains without the API's SHUTDOWN_DELAY_MS (apps/worker/src/main.ts).
      const shutdownMs = (run.role === 'api' ? config.SHUTDOWN_DELAY_MS : 0) + config.SHUTDOWN_TIMEOUT_MS;
      expect(podSpecOf(run.workload).terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownMs / 1000);
    }
  });
});

describe('optional objects', () => {
  it('an HPA on CPU for the API and for the worker group that enables it', () => {
    const objects = render('hpa-values.yaml');
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    expect(hpas.map((hpa) => component(hpa)).sort()).toEqual(['api', 'worker-workouts']);
    for (const hpa of hpas) {
      expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    }
    expect(ofKind(objects, 'Deployment').find((deployment) => component(deployment) === 'worker-invoices')!.spec.replicas).toBe(2);
  });

  it.each(['keda-values.yaml', 'existing-secret-values.yaml'])('KEDA ScaledObjects on the length of each group queue, authenticated from the workers Secret (%s)', (scenario) => {
    const objects = render(scenario);
    const [authentication, ...others] = ofKind(objects, 'TriggerAuthentication');
    expect(others).toHaveLength(0);
    const scaled = ofKind(objects, 'ScaledObject');
    expect(scaled.length).toBeGreaterThan(0);
    for (const object of scaled) {
      const deployment = deploymentOf(objects, object.spec.scaleTargetRef.name);
      const [run] = containerRuns([deployment]);
      const rabbitmq = run.container.env.find((variable: any) => variable.name === 'RABBITMQ_URL').valueFrom.secretKeyRef;
      expect(authentication.spec.secretTargetRef).toEqual([{ parameter: 'host', name: rabbitmq.name, key: rabbitmq.key }]);
      const queues = loadConfig(resolveEnv(run, objects, external)).WORKER_QUEUES;
      expect(object.spec.triggers.map((trigger: any) => trigger.metadata.queueName)).toEqual(queues);
      for (const trigger of object.spec.triggers) {
        expect(trigger).toEqual({
          type: 'rabbitmq',
          metadata: expect.objectContaining({ protocol: 'amqp', mode: 'QueueLength', value: expect.stringMatching(/^[1-9][0-9]*$/) }),
          authenticationRef: { name: authentication.metadata.name },
        });
        expect(WORKER_QUEUE_NAMES).toContain(trigger.metadata.queueName);
      }
      expect(object.spec.maxReplicaCount).toBeGreaterThanOrEqual(object.spec.minReplicaCount);
    }
  });

  it('an existing Secret is read by every container and KEDA, under its own keys, and the chart renders none', () => {
    const objects = render('existing-secret-values.yaml');
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect(ofKind(objects, 'ServiceAccount')).toEqual([]);
    for (const run of containerRuns(objects)) {
      const refs = (run.container.env as any[]).filter((variable) => variable.valueFrom?.secretKeyRef).map((variable) => [variable.name, variable.valueFrom.secretKeyRef]);
      for (const [name, ref] of refs) {
        expect(ref).toEqual({ name: 'baton-credentials', key: name === 'DATABASE_URL' ? 'postgres-uri' : 'amqp-uri' });
      }
      expect(podSpecOf(run.workload).serviceAccountName).toBe('baton-runtime');
    }
  });

  it('an Ingress to the API Service on the hosts given, with TLS', () => {
    const [ingress] = ofKind(render('ingress-values.yaml'), 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules.map((rule: any) => rule.host)).toEqual(['baton.example.com', 'jobs.example.com']);
    expect(ingress.spec.tls).toEqual([{ secretName: 'baton-example-com-tls', hosts: ['baton.example.com', 'jobs.example.com'] }]);
  });

  it('a NetworkPolicy per component that opens only its serving port and allows DNS, PostgreSQL and RabbitMQ out (and HTTPS for the webhooks workers)', () => {
    const objects = render('networkpolicy-values.yaml');
    const policies = ofKind(objects, 'NetworkPolicy');
    expect(policies.map(component).sort()).toEqual(ofKind(objects, 'Deployment').map(component).sort());
    for (const policy of policies) {
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(policy.spec.ingress).toHaveLength(1);
      const sources = policy.spec.ingress[0].from.map((peer: any) => peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']);
      // /metrics shares the API port, so the monitoring namespace reaches it too.
      expect(sources).toEqual(component(policy) === 'api' ? ['ingress-nginx', 'monitoring'] : ['monitoring']);
      const egressPorts = policy.spec.egress.flatMap((rule: any) => rule.ports.map((port: any) => `${port.protocol}/${port.port}`));
      // No Redis is configured here: no pod may reach its port.
      const expected = ['TCP/53', 'TCP/5432', 'TCP/5671', 'UDP/53', ...(component(policy) === 'worker-webhooks' ? ['TCP/443'] : [])];
      expect({ policy: policy.metadata.name, egressPorts: egressPorts.sort() }).toEqual({ policy: policy.metadata.name, egressPorts: expected.sort() });
    }
  });

  it('a NetworkPolicy that lets the API, and no worker, reach Redis when the rate limit uses it', () => {
    const objects = render('auth-and-rate-limit-values.yaml');
    const policies = ofKind(objects, 'NetworkPolicy');
    expect(policies.map(component).sort()).toEqual(ofKind(objects, 'Deployment').map(component).sort());
    for (const policy of policies) {
      const egressPorts = policy.spec.egress.flatMap((rule: any) => rule.ports.map((port: any) => `${port.protocol}/${port.port}`));
      const expected = ['TCP/53', 'TCP/5432', 'TCP/5671', 'TCP/5672', 'UDP/53', ...(component(policy) === 'api' ? ['TCP/6380'] : []), ...(component(policy) === 'worker-webhooks' ? ['TCP/443'] : [])];
      expect({ policy: policy.metadata.name, egressPorts: egressPorts.sort() }).toEqual({ policy: policy.metadata.name, egressPorts: expected.sort() });
    }
  });

  it('a Redis port already among egressPorts is not listed twice, whether given in a file or by --set', async () => {
    for (const options of [{ values: { networkPolicy: { redisPort: 5432 } } }, { set: ['networkPolicy.redisPort=5432'] }]) {
      const objects = await template({ valuesFiles: ['auth-and-rate-limit-values.yaml'], ...options });
      const policy = ofKind(objects, 'NetworkPolicy').find((candidate) => component(candidate) === 'api')!;
      const ports = policy.spec.egress.flatMap((rule: any) => rule.ports.map((port: any) => `${port.protocol}/${port.port}`));
      expect(ports.filter((port: string) => port === 'TCP/5432')).toHaveLength(1);
    }
  });

  it('a ServiceMonitor scraping /metrics on the API port and on each worker group health port', () => {
    const objects = render('servicemonitor-values.yaml');
    const monitors = ofKind(objects, 'ServiceMonitor');
    expect(monitors.map(component).sort()).toEqual(ofKind(objects, 'Deployment').map(component).sort());
    for (const monitor of monitors) {
      expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
      const service = ofKind(objects, 'Service').find((candidate) => selects(monitor.spec.selector.matchLabels, candidate.metadata.labels))!;
      const deployment = ofKind(objects, 'Deployment').find((candidate) => selects(service.spec.selector, candidate.spec.template.metadata.labels))!;
      const [run] = containerRuns([deployment]);
      const config = loadConfig(resolveEnv(run, objects, external));
      for (const endpoint of monitor.spec.endpoints) {
        expect(endpoint.path).toBe('/metrics');
        const servicePort = service.spec.ports.find((port: any) => port.name === endpoint.port);
        expect(resolvePort(run.container, servicePort.targetPort)).toBe(run.role === 'api' ? config.PORT : config.HEALTH_PORT);
      }
    }
    expect(resolvePort(runsOf(objects, 'api')[0].container, 'http')).toBe(8080);
    for (const run of runsOf(objects, 'worker')) expect(resolvePort(run.container, 'health')).toBe(9100);
  });

  it('a PodDisruptionBudget for the API and each worker group', () => {
    const objects = render('pdb-values.yaml');
    const budgets = Object.fromEntries(ofKind(objects, 'PodDisruptionBudget').map((pdb) => [component(pdb), pdb.spec]));
    expect(budgets.api).toEqual(expect.objectContaining({ minAvailable: 2 }));
    expect(budgets.api.maxUnavailable).toBeUndefined();
    expect(budgets['worker-workouts']).toEqual(expect.objectContaining({ maxUnavailable: 1 }));
    expect(budgets['worker-invoices']).toEqual(expect.objectContaining({ maxUnavailable: '50%' }));
  });
});

describe('API settings, rate limit and the bootstrap key', () => {
  const apiRun = (objects: K8sObject[]) => runsOf(objects, 'api')[0];
  const migrateRun = (objects: K8sObject[]) => runsOf(objects, 'migrate')[0];

  it('default to the apps’ own defaults: every setting the ConfigMap and the API container give, with no CORS, no Redis and no bootstrap key', () => {
    const objects = render(DEFAULTS);
    const appDefaults = new BatonConfig() as unknown as Record<string, unknown>;
    const env = resolveEnv(apiRun(objects), objects);
    // The one departure, on purpose: emails needs a mail server, so the chart turns it off (see describe('emails')).
    expect(loadConfig(env).DISABLED_JOB_TYPES).toEqual(['emails']);
    const compared = Object.keys(env).filter((name) => appDefaults[name] !== undefined && name !== 'DISABLED_JOB_TYPES');
    expect(compared).toEqual(expect.arrayContaining(['HTTP_REQUEST_TIMEOUT_MS', 'HTTP_HEADERS_TIMEOUT_MS', 'API_KEY_CACHE_MS', 'LOG_LEVEL', 'PORT', 'WEBHOOK_ALLOW_HTTP', 'WEBHOOK_SECRET_GRACE_SEC']));
    for (const name of compared) expect({ name, value: env[name] }).toEqual({ name, value: String(appDefaults[name]) });
    // The app's documented defaults (RATE_LIMIT_MAX 6000 per RATE_LIMIT_WINDOW_MS 60000).
    expect([env.RATE_LIMIT_MAX, env.RATE_LIMIT_WINDOW_MS]).toEqual(['6000', '60000']);
    // API_KEY_CACHE_MS 60000: a key's look-up is reused for a minute at most.
    expect(env.API_KEY_CACHE_MS).toBe('60000');
    expect(env.CORS_ORIGINS).toBeUndefined();
    expect(envVar(apiRun(objects), 'REDIS_URL')).toBeUndefined();
    for (const name of MIGRATE_ONLY) expect(envVar(migrateRun(objects), name)).toBeUndefined();
  });

  it('joins api.cors.origins into CORS_ORIGINS, which the API reads back as the same list, with the timeouts given', () => {
    const objects = render('api-http-values.yaml');
    const config = loadConfig(resolveEnv(apiRun(objects), objects));
    expect(config.CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect([config.HTTP_REQUEST_TIMEOUT_MS, config.HTTP_HEADERS_TIMEOUT_MS]).toEqual([120000, 15000]);
  });

  it('takes REDIS_URL from the named Secret and key, by secretKeyRef, with the limits given', () => {
    const objects = render('auth-and-rate-limit-values.yaml');
    const run = apiRun(objects);
    expect(envVar(run, 'REDIS_URL')).toEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'baton-redis', key: 'url' } } });
    expect(ofKind(objects, 'Secret').map((secret) => secret.metadata.name)).not.toContain('baton-redis');
    const env = resolveEnv(run, objects, external);
    expect([env.RATE_LIMIT_MAX, env.RATE_LIMIT_WINDOW_MS, env.REDIS_URL]).toEqual(['1200', '10000', 'rediss://:secret@redis.example:6380/0']);
  });

  it('with Redis, gives the API and every group consuming a job type the read cache, alike, and their NetworkPolicies the Redis port; a webhooks-only group neither', () => {
    const objects = render('read-cache-values.yaml');
    const runs = containerRuns(objects).filter((run) => run.role !== 'migrate');
    for (const run of runs) {
      const where = component(run.workload)!;
      const config = loadConfig(resolveEnv(run, objects, external));
      if (where === 'worker-webhooks') {
        expect({ where, redis: envVar(run, 'REDIS_URL'), ttl: envVar(run, 'READ_CACHE_TTL_SEC') }).toEqual({ where, redis: undefined, ttl: undefined });
        expect(portsOf(egressOf(objects, where))).not.toContain('TCP/6380');
        continue;
      }
      expect({ where, redis: config.REDIS_URL }).toEqual({ where, redis: EXISTING_SECRETS['baton-redis'].url });
      expect({ where, cache: [config.READ_CACHE_TTL_SEC, config.READ_CACHE_PREFIX, config.READ_CACHE_TIMEOUT_MS] }).toEqual({ where, cache: [300, 'baton-eu.prod', 30] });
      expect(portsOf(egressOf(objects, where))).toContain('TCP/6380');
    }
    expect(runs.map((run) => component(run.workload)).sort()).toEqual(['api', 'worker-invoices', 'worker-webhooks', 'worker-workouts']);
  });

  it("keys the read cache by the release's full name unless readCache.keyPrefix says otherwise, for 600 s, waiting 50 ms at most: the app's defaults", async () => {
    const objects = await template({ release: 'shop', values: { rateLimit: { redis: { existingSecret: 'baton-redis', secretKey: 'url' } } } });
    for (const run of [apiRun(objects), workerRun(objects, 'workouts')]) {
      const config = loadConfig(resolveEnv(run, objects, external));
      expect([config.READ_CACHE_TTL_SEC, config.READ_CACHE_PREFIX, config.READ_CACHE_TIMEOUT_MS]).toEqual([600, 'shop-baton', 50]);
    }
    const appDefaults = loadConfig({});
    expect([appDefaults.READ_CACHE_TTL_SEC, appDefaults.READ_CACHE_TIMEOUT_MS]).toEqual([VALUES.readCache.ttlSec, VALUES.readCache.timeoutMs]);
  });

  it('turns the read cache off with readCache.enabled false (READ_CACHE_TTL_SEC 0), and gives the workers no Redis for it', async () => {
    const objects = await template({ values: { rateLimit: { redis: { existingSecret: 'baton-redis', secretKey: 'url' } }, readCache: { enabled: false }, networkPolicy: { enabled: true } } });
    expect(loadConfig(resolveEnv(apiRun(objects), objects, external)).READ_CACHE_TTL_SEC).toBe(0);
    for (const run of runsOf(objects, 'worker')) {
      expect({ worker: component(run.workload), redis: envVar(run, 'REDIS_URL') }).toEqual({ worker: component(run.workload), redis: undefined });
      expect(portsOf(egressOf(objects, component(run.workload)!))).not.toContain('TCP/6379');
    }
    // Without Redis, no READ_CACHE_* anywhere: there is no cache.
    for (const run of containerRuns(render(DEFAULTS))) expect(variableNames(run, render(DEFAULTS)).filter((name) => name.startsWith('READ_CACHE_'))).toEqual([]);
  });

  it('say in the NOTES where the read cache keeps its keys, and nothing of it without Redis or with it off', async () => {
    await expect(notes({ valuesFiles: ['read-cache-values.yaml'] })).resolves.toContain('(keys baton-eu.prod:read:*, at most 300 s)');
    await expect(notes()).resolves.not.toContain('read from the same Redis');
    await expect(notes({ valuesFiles: ['auth-and-rate-limit-values.yaml'] })).resolves.not.toContain('read from the same Redis');
  });

  it('sets API_KEY_CACHE_MS from auth.keyCacheMs, 0 included, which the API reads back as the same number', async () => {
    const objects = await template({ values: { auth: { keyCacheMs: 0 } } });
    expect(envVar(apiRun(objects), 'API_KEY_CACHE_MS')).toEqual({ name: 'API_KEY_CACHE_MS', value: '0' });
    expect(loadConfig(resolveEnv(apiRun(objects), objects)).API_KEY_CACHE_MS).toBe(0);
  });

  it("sizes each container's V8 heap from its own memory limit (heap.fractionOfMemoryLimit), in every unit Kubernetes writes, and not without a limit; and its semi-spaces (heap.maxSemiSpaceMiB)", async () => {
    const heapOf = (objects: K8sObject[], role: 'api' | 'worker') => envVar(runsOf(objects, role)[0], 'NODE_OPTIONS');
    const defaults = render(DEFAULTS);
    // 0.75 of the default 512Mi limits, and 8 MiB semi-spaces.
    expect(heapOf(defaults, 'api')).toEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=384 --max-semi-space-size=8' });
    expect(heapOf(defaults, 'worker')).toEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=384 --max-semi-space-size=8' });
    const oldSpaceOnly = { maxSemiSpaceMiB: 0 };
    for (const [memory, mib] of [['1Gi', 768], ['1G', 715], ['300000000', 214], ['2048Ki', 1]] as const) {
      const objects = await template({ values: { api: { resources: { limits: { memory } } }, heap: oldSpaceOnly } });
      expect({ memory, heap: heapOf(objects, 'api')?.value }).toEqual({ memory, heap: `--max-old-space-size=${mib}` });
    }
    const unlimited = await template({ values: { api: { resources: { limits: null } }, heap: { fractionOfMemoryLimit: 0.5, maxSemiSpaceMiB: 0 } } });
    expect(heapOf(unlimited, 'api')).toBeUndefined();
    expect(heapOf(unlimited, 'worker')).toEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=256' });
    expect(heapOf(await template({ values: { heap: { fractionOfMemoryLimit: 0 } } }), 'api')).toEqual({ name: 'NODE_OPTIONS', value: '--max-semi-space-size=8' });
    expect(heapOf(await template({ values: { heap: { fractionOfMemoryLimit: 0, maxSemiSpaceMiB: 0 } } }), 'api')).toBeUndefined();
    await expect(template({ values: { heap: { maxSemiSpaceMiB: 65 } } })).rejects.toThrow(/maxSemiSpaceMiB/);
    // The schema refuses a limit that is no Kubernetes quantity before the template reads it.
    await expect(template({ values: { api: { resources: { limits: { memory: '1Xi' } } } } })).rejects.toThrow(/memory/);
  });

  it('sets the dashboard variables from dashboard.*, which the API reads back, and on the API only; the schema refuses a session under 5 minutes', async () => {
    const objects = await template({ values: { dashboard: { enabled: false, readOnly: true, sessionTtlSec: 3600 } } });
    expect(loadConfig(resolveEnv(apiRun(objects), objects))).toMatchObject({ DASHBOARD_ENABLED: false, DASHBOARD_READ_ONLY: true, DASHBOARD_SESSION_TTL_SEC: 3600 });
    for (const run of containerRuns(objects).filter((candidate) => candidate.role !== 'api')) {
      expect(variableNames(run, objects).filter((name) => name.startsWith('DASHBOARD_'))).toEqual([]);
    }
    await expect(template({ values: { dashboard: { sessionTtlSec: 60 } } })).rejects.toThrow(/sessionTtlSec/);
  });

  it('gives the migration Job the bootstrap key from the named Secret, by secretKeyRef, and its tenant; the Job still runs `migrate`', () => {
    const objects = render('auth-and-rate-limit-values.yaml');
    const run = migrateRun(objects);
    expect(run.argv).toEqual(['node', 'dist/apps/cli/src/main.js', 'migrate']);
    expect(envVar(run, 'BATON_BOOTSTRAP_API_KEY')).toEqual({ name: 'BATON_BOOTSTRAP_API_KEY', valueFrom: { secretKeyRef: { name: 'baton-bootstrap-key', key: 'api-key' } } });
    expect(envVar(run, 'BATON_BOOTSTRAP_TENANT')).toEqual({ name: 'BATON_BOOTSTRAP_TENANT', value: 'acme' });
    // The chart renders no copy of the key anywhere.
    const key = EXISTING_SECRETS['baton-bootstrap-key']['api-key'];
    expect(ofKind(objects, 'Secret').map((secret) => secret.metadata.name)).not.toContain('baton-bootstrap-key');
    expect(JSON.stringify(objects)).not.toContain(key);
    expect(resolveEnv(run, objects, external).BATON_BOOTSTRAP_API_KEY).toBe(key);
  });

  it('renders the bootstrap variables only when a Secret is named, under the key given', async () => {
    const tenantOnly = await template({ values: { auth: { bootstrapKey: { tenant: 'acme' } } } });
    for (const name of MIGRATE_ONLY) expect(envVar(migrateRun(tenantOnly), name)).toBeUndefined();
    const otherKey = await template({ values: { auth: { bootstrapKey: { existingSecret: 'keys', secretKey: 'admin.key' } } } });
    expect(envVar(migrateRun(otherKey), 'BATON_BOOTSTRAP_API_KEY').valueFrom.secretKeyRef).toEqual({ name: 'keys', key: 'admin.key' });
    expect(envVar(migrateRun(otherKey), 'BATON_BOOTSTRAP_TENANT').value).toBe('default');
  });
});

describe('pod rollouts', () => {
  const annotations = (objects: K8sObject[]) =>
    ofKind(objects, 'Deployment').map((deployment) => deployment.spec.template.metadata.annotations as Record<string, string>);

  it('change checksum/config, and only it, when a setting changes', async () => {
    const before = annotations(render(DEFAULTS));
    const after = annotations(await template({ set: ['config.jobMaxAttempts=7'] }));
    after.forEach((pod, index) => {
      expect(pod['checksum/config']).not.toBe(before[index]['checksum/config']);
      expect(pod['checksum/secret']).toBe(before[index]['checksum/secret']);
    });
  });

  it('change checksum/secret, and only it, when a credential or the existing Secret changes', async () => {
    const before = annotations(render(DEFAULTS));
    const after = annotations(await template({ values: { secret: { rabbitmqUrl: 'amqp://baton:other@baton-rabbitmq:5672/baton' } } }));
    after.forEach((pod, index) => {
      expect(pod['checksum/secret']).not.toBe(before[index]['checksum/secret']);
      expect(pod['checksum/config']).toBe(before[index]['checksum/config']);
    });
    const existing = annotations(render('existing-secret-values.yaml'));
    const renamed = annotations(await template({ valuesFiles: ['existing-secret-values.yaml'], set: ['secret.existingSecret=baton-credentials-v2'] }));
    renamed.forEach((pod, index) => expect(pod['checksum/secret']).not.toBe(existing[index]['checksum/secret']));
  });

  const podTemplates = (objects: K8sObject[]) => Object.fromEntries(ofKind(objects, 'Deployment').map((deployment) => [component(deployment), deployment.spec.template]));

  it('roll the API, and no worker, when an API-only setting changes', async () => {
    const before = podTemplates(render(DEFAULTS));
    for (const values of [{ rateLimit: { max: 100 } }, { rateLimit: { redis: { existingSecret: 'baton-redis' } }, readCache: { enabled: false } }, { api: { cors: { origins: ['https://app.example.com'] } } }, { api: { http: { requestTimeoutMs: 60000 } } }, { auth: { keyCacheMs: 0 } }]) {
      const after = podTemplates(await template({ values }));
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      for (const [name, pod] of Object.entries(after)) {
        if (name === 'api') expect(pod).not.toEqual(before[name]);
        else expect({ values, name, pod }).toEqual({ values, name, pod: before[name] });
      }
    }
  });

  it('roll the API and the job types\' workers, and not the webhooks workers, when the read cache changes', async () => {
    const redis = { rateLimit: { redis: { existingSecret: 'baton-redis' } } };
    const before = podTemplates(await template({ values: redis }));
    for (const readCache of [{ ttlSec: 60 }, { keyPrefix: 'other' }, { enabled: false }]) {
      const after = podTemplates(await template({ values: { ...redis, readCache } }));
      for (const [name, pod] of Object.entries(after)) {
        if (name === 'worker-webhooks') expect({ readCache, name, pod }).toEqual({ readCache, name, pod: before[name] });
        else expect({ readCache, name, changed: JSON.stringify(pod) !== JSON.stringify(before[name]) }).toEqual({ readCache, name, changed: true });
      }
    }
  });

  it('roll no API or worker pod when the bootstrap key changes: only the migration Job reads it', async () => {
    const before = podTemplates(render(DEFAULTS));
    const after = podTemplates(await template({ values: { auth: { bootstrapKey: { existingSecret: 'baton-bootstrap-key', tenant: 'acme' } } } }));
    expect(after).toEqual(before);
  });
});

describe('job types', () => {
  /** What a define of _helpers.tpl gives, rendered in a copy of the chart beside one template that prints it. */
  async function defineOutput(define: string, values: Record<string, unknown> = {}): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'baton-chart-'));
    try {
      const chart = join(dir, 'baton');
      cpSync(CHART_DIR, chart, { recursive: true });
      writeFileSync(join(chart, 'templates', 'define-probe.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  output: {{ include "${define}" . | quote }}\n`);
      writeFileSync(join(dir, 'values.json'), JSON.stringify(values));
      const { stdout } = await helm(['template', 'baton', chart, '--show-only', 'templates/define-probe.yaml', '-f', join(dir, 'values.json')]);
      return parseYaml(stdout).data.output;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('the chart has one list of them, baton.jobTypes, and it is the apps’ JOB_TYPES', async () => {
    expect(JSON.parse(await defineOutput('baton.jobTypes'))).toEqual([...JOB_TYPES]);
  });

  it('the queues a worker group may consume, baton.workerQueues, are the apps’ WORKER_QUEUE_NAMES', async () => {
    expect(JSON.parse(await defineOutput('baton.workerQueues'))).toEqual([...WORKER_QUEUE_NAMES]);
  });

  it('no group may consume emails until emails.enabled, nor webhooks while webhooks.enabled is false', async () => {
    expect(JSON.parse(await defineOutput('baton.disabledQueues'))).toEqual(['emails']);
    expect(JSON.parse(await defineOutput('baton.disabledQueues', { webhooks: { enabled: false } }))).toEqual(['emails', 'webhooks']);
    expect(JSON.parse(await defineOutput('baton.disabledQueues', { emails: { enabled: true, from: 'billing@example.com', smtp: { url: 'smtp://relay.example.com' } } }))).toEqual([]);
  });

  it('the API refuses emails until emails.enabled, and no other type', async () => {
    expect(JSON.parse(await defineOutput('baton.disabledJobTypes'))).toEqual(['emails']);
    expect(JSON.parse(await defineOutput('baton.disabledJobTypes', { emails: { enabled: true, from: 'billing@example.com', smtp: { url: 'smtp://relay.example.com' } } }))).toEqual([]);
  });

  it.each(JOB_TYPES.filter((type) => type !== 'emails'))('removing the only group that consumes %s fails, naming it', async (type) => {
    for (const values of [{ workers: { [type]: null } }, { workers: { [type]: { enabled: false } } }]) {
      const error = await template({ values }).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(HelmError);
      expect((error as HelmError).stderr).toMatch(new RegExp(`no enabled worker group consumes ${type}\\b`));
    }
  });

  it('a type may move to another group: the chart only asks that some enabled group consumes it', async () => {
    const objects = await template({ values: { workers: { workouts: null, invoices: { queues: ['invoices', 'workouts'] } } } });
    expect(runsOf(objects, 'worker').map((run) => component(run.workload)).sort()).toEqual(['worker-invoices', 'worker-webhooks']);
    expect(loadConfig(resolveEnv(workerRun(objects, 'invoices'), objects)).WORKER_QUEUES).toEqual(['invoices', 'workouts']);
  });
});

describe('emails', () => {
  const SMTP_URL = 'smtp://baton:example-password@mail.example.com:2525';
  const enabled = (extra: Record<string, unknown> = {}) => ({ emails: { enabled: true, from: 'billing@example.com', smtp: { url: SMTP_URL }, ...extra } });
  const refusal = async (values: Record<string, unknown>) => {
    const error = await template({ values }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(HelmError);
    return (error as HelmError).stderr;
  };

  it('are off by default: no emails worker, no mail settings or Secret anywhere, and the API refuses them', () => {
    const objects = render(DEFAULTS);
    expect(ofKind(objects, 'Deployment').map(component)).not.toContain('worker-emails');
    for (const run of runsOf(objects, 'worker')) expect(loadConfig(resolveEnv(run, objects)).WORKER_QUEUES).not.toContain('emails');
    for (const run of containerRuns(objects)) for (const name of EMAILS_WORKER_ONLY) expect(variableNames(run, objects)).not.toContain(name);
    expect(ofKind(objects, 'Secret').map((secret) => secret.metadata.name)).not.toContain('baton-smtp');
    const api = runsOf(objects, 'api')[0];
    expect(envVar(api, 'DISABLED_JOB_TYPES')).toEqual({ name: 'DISABLED_JOB_TYPES', value: 'emails' });
    expect(loadConfig(resolveEnv(api, objects)).DISABLED_JOB_TYPES).toEqual(['emails']);
  });

  it('when enabled, the API accepts them and an emails worker consumes them with SMTP_URL from a Secret and MAIL_FROM', () => {
    const objects = render('emails-values.yaml');
    const api = runsOf(objects, 'api')[0];
    expect(envVar(api, 'DISABLED_JOB_TYPES')).toBeUndefined();
    expect(loadConfig(resolveEnv(api, objects, external)).DISABLED_JOB_TYPES).toEqual([]);
    const run = workerRun(objects, 'emails');
    expect(envVar(run, 'SMTP_URL')).toEqual({ name: 'SMTP_URL', valueFrom: { secretKeyRef: { name: 'baton-smtp', key: 'SMTP_URL' } } });
    const [secret] = ofKind(objects, 'Secret').filter((candidate) => candidate.metadata.name === 'baton-smtp');
    expect(secret.stringData).toEqual({ SMTP_URL: 'smtp://baton:example-password@mail.example.com:2525' });
    // Nowhere else: not in the ConfigMap, not in any container's plain env.
    const elsewhere = objects.filter((object) => object !== secret && JSON.stringify(object).includes('example-password'));
    expect(elsewhere.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([]);
    // The worker's own check at start, with what its queues need.
    const config = loadConfig(resolveEnv(run, objects, external), requiredVariables('worker'));
    expect(config.WORKER_QUEUES).toEqual(['emails']);
    expect([config.SMTP_URL, config.MAIL_FROM]).toEqual([SMTP_URL, 'Example Shop <billing@example.com>']);
    expect(() => new SmtpMailTransport(config.SMTP_URL!).close()).not.toThrow();
  });

  it('when enabled with an existing Secret, reads SMTP_URL from it under its key and renders no Secret of its own', () => {
    const objects = render('emails-existing-secret-values.yaml');
    const run = workerRun(objects, 'emails');
    expect(envVar(run, 'SMTP_URL')).toEqual({ name: 'SMTP_URL', valueFrom: { secretKeyRef: { name: 'baton-smtp', key: 'url' } } });
    expect(ofKind(objects, 'Secret').map((secret) => secret.metadata.name)).not.toContain('baton-smtp');
    const config = loadConfig(resolveEnv(run, objects, external), requiredVariables('worker'));
    expect([config.SMTP_URL, config.MAIL_FROM]).toEqual([EXISTING_SECRETS['baton-smtp'].url, 'billing@example.com']);
    expect(loadConfig(resolveEnv(runsOf(objects, 'api')[0], objects, external)).DISABLED_JOB_TYPES).toEqual([]);
  });

  it('scale the emails workers with KEDA on the emails queue, or with an HPA, as asked', () => {
    const keda = render('emails-values.yaml');
    const [scaled] = ofKind(keda, 'ScaledObject').filter((object) => component(object) === 'worker-emails');
    expect(scaled.spec.triggers.map((trigger: any) => trigger.metadata.queueName)).toEqual(['emails']);
    expect([scaled.spec.minReplicaCount, scaled.spec.maxReplicaCount]).toEqual([0, 4]);
    expect(deploymentOf(keda, 'baton-worker-emails').spec.replicas).toBeUndefined();
    const hpa = render('emails-existing-secret-values.yaml');
    expect(ofKind(hpa, 'HorizontalPodAutoscaler').map(component)).toEqual(['worker-emails']);
    expect(ofKind(hpa, 'ScaledObject')).toEqual([]);
  });

  it('let the emails workers, and no other pod, reach the SMTP port (the URL’s), to networkPolicy.smtpTo', () => {
    const objects = render('emails-values.yaml');
    const smtpRule = (rules: any[]) => rules.find((rule) => rule.ports.some((port: any) => port.port === 2525));
    for (const policy of ofKind(objects, 'NetworkPolicy')) {
      const rule = smtpRule(policy.spec.egress);
      if (component(policy) === 'worker-emails') expect(rule).toEqual({ ports: [{ port: 2525, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '203.0.113.25/32' } }] });
      else expect({ policy: component(policy), rule }).toEqual({ policy: component(policy), rule: undefined });
    }
    // With an existing Secret the chart cannot read the URL: emails.smtp.port; no smtpTo, any destination.
    const existing = egressOf(render('emails-existing-secret-values.yaml'), 'worker-emails');
    expect(existing).toContainEqual({ ports: [{ port: 465, protocol: 'TCP' }] });
  });

  it('give the emails workers WORKER_RATE_LIMITS, REDIS_URL and the Redis port, and no other worker any of them', () => {
    const objects = render('emails-values.yaml');
    const run = workerRun(objects, 'emails');
    expect(envVar(run, 'WORKER_RATE_LIMITS')).toEqual({ name: 'WORKER_RATE_LIMITS', value: 'emails=10/s' });
    expect(envVar(run, 'REDIS_URL')).toEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'baton-redis', key: 'url' } } });
    const config = loadConfig(resolveEnv(run, objects, external));
    expect(config.WORKER_RATE_LIMITS).toEqual([{ queue: 'emails', limit: 10, intervalMs: 1000 }]);
    expect(config.REDIS_URL).toBe(EXISTING_SECRETS['baton-redis'].url);
    for (const other of runsOf(objects, 'worker').filter((candidate) => component(candidate.workload) !== 'worker-emails')) {
      expect({ worker: component(other.workload), rate: envVar(other, 'WORKER_RATE_LIMITS'), redis: envVar(other, 'REDIS_URL') }).toEqual({ worker: component(other.workload), rate: undefined, redis: undefined });
    }
    const redisPort = 'TCP/6380';
    expect(portsOf(egressOf(objects, 'worker-emails'))).toContain(redisPort);
    expect(portsOf(egressOf(objects, 'api'))).toContain(redisPort);
    for (const group of ['workouts', 'invoices']) expect(portsOf(egressOf(objects, `worker-${group}`))).not.toContain(redisPort);
  });

  it('without a rate limit, or without Redis, give the emails workers no Redis', async () => {
    const unlimited = render('emails-existing-secret-values.yaml');
    expect(envVar(workerRun(unlimited, 'emails'), 'WORKER_RATE_LIMITS')).toBeUndefined();
    const noRedis = await template({ values: { ...enabled({ rateLimit: '600/m' }), networkPolicy: { enabled: true } } });
    const run = workerRun(noRedis, 'emails');
    expect(loadConfig(resolveEnv(run, noRedis)).WORKER_RATE_LIMITS).toEqual([{ queue: 'emails', limit: 600, intervalMs: 60_000 }]);
    expect(envVar(run, 'REDIS_URL')).toBeUndefined();
    expect(portsOf(egressOf(noRedis, 'worker-emails'))).not.toContain('TCP/6379');
  });

  it('give every group that consumes emails the mail settings and the rate, and a group that does not, none', async () => {
    const objects = await template({
      values: {
        ...enabled({ rateLimit: '5/s' }),
        rateLimit: { redis: { existingSecret: 'baton-redis', secretKey: 'url' } },
        // Without the read cache, which gives every job type's group Redis.
        readCache: { enabled: false },
        workers: { emails: null, mixed: { queues: ['workouts', 'emails'] } },
      },
    });
    const mixed = workerRun(objects, 'mixed');
    const config = loadConfig(resolveEnv(mixed, objects, external), requiredVariables('worker'));
    expect(config.WORKER_QUEUES).toEqual(['workouts', 'emails']);
    expect(config.WORKER_RATE_LIMITS).toEqual([{ queue: 'emails', limit: 5, intervalMs: 1000 }]);
    for (const group of ['workouts', 'invoices']) {
      const names = variableNames(workerRun(objects, group), objects);
      expect(names.filter((name) => [...EMAILS_WORKER_ONLY, 'WORKER_RATE_LIMITS', 'REDIS_URL'].includes(name))).toEqual([]);
    }
  });

  it.each([
    ['neither emails.smtp.url nor emails.smtp.existingSecret', { emails: { enabled: true, from: 'billing@example.com' } }, /emails\.smtp\.url/],
    ['no emails.from', { emails: { enabled: true, smtp: { url: SMTP_URL } } }, /emails\.from/],
    ['both emails.smtp.url and emails.smtp.existingSecret', enabled({ smtp: { url: SMTP_URL, existingSecret: 'baton-smtp' } }), /emails\.smtp\.url or emails\.smtp\.existingSecret, not both/],
    ['no group consuming emails', { ...enabled(), workers: { emails: null } }, /no enabled worker group consumes emails\b/],
    ['the emails group disabled', { ...enabled(), workers: { emails: { enabled: false } } }, /no enabled worker group consumes emails\b/],
    ['a group consuming emails beside another type while emails is off', { workers: { invoices: { queues: ['invoices', 'emails'] } } }, /workers\.invoices consumes emails.*emails\.enabled/],
  ])('refuse to render with %s', async (_what, values, message) => {
    expect(await refusal(values)).toMatch(message);
  });

  it('leave out a group that consumes only emails while emails is off, and say so in the NOTES', async () => {
    const values = { workers: { mailer: { queues: ['emails'] } } };
    const objects = await template({ values });
    expect(ofKind(objects, 'Deployment').map(component).sort()).toEqual(['api', 'worker-invoices', 'worker-webhooks', 'worker-workouts']);
    expect(await notes({ values })).toMatch(/Not deployed, as they consume only emails: worker group\(s\) emails, mailer\./);
  });

  // The worker is the judge of SMTP_URL (libs/config, and the transport it builds at start); the chart must
  // accept what it accepts, refuse at `helm template` what it refuses, and open the port it will connect to.
  it.each([
    ['smtp://relay.example.com', 587],
    ['smtp://relay.example.com/', 587],
    ['smtps://relay.example.com', 465],
    ['smtps://baton:p%2F%3Fss@smtp.example.com:465', 465],
    ['smtp://postmaster@mg.example.com:secret@smtp.mailgun.org:2525', 2525],
    ['smtps://[2001:db8::25]', 465],
    ['smtp://[2001:db8::25]:25', 25],
  ])('accept an SMTP URL the worker accepts, %s, and open its port %d', async (url, port) => {
    expect(loadConfig({ SMTP_URL: url }).SMTP_URL).toBe(url);
    expect(() => new SmtpMailTransport(url).close()).not.toThrow();
    const objects = await template({ values: { ...enabled({ smtp: { url } }), networkPolicy: { enabled: true } } });
    expect(egressOf(objects, 'worker-emails')).toContainEqual({ ports: [{ port, protocol: 'TCP' }] });
  });

  it.each([
    'smtp://baton:secret@relay.example.com/baton',
    'smtp://baton:secret@relay.example.com?tls.rejectUnauthorized=false',
    'smtp://baton:secret@relay.example.com#x',
    'smtp://baton:secret@:587',
    'smtp://baton:secret@relay.example.com:0',
    'smtp://baton:secret@relay.example.com:65536',
    'smtp://baton:secret@relay.example.com:smtp',
    'smtps://baton:secret@relay example.com',
    'https://baton:secret@relay.example.com',
  ])('refuse an SMTP URL the worker refuses, %s, naming emails.smtp.url', async (url) => {
    const worker = (() => {
      try {
        loadConfig({ SMTP_URL: url });
        new SmtpMailTransport(url).close();
        return 'accepted';
      } catch {
        return 'refused';
      }
    })();
    expect(worker).toBe('refused');
    const message = await refusal(enabled({ smtp: { url } }));
    expect(message).toMatch(/emails\.smtp\.url must be smtp:\/\/ or smtps:\/\//);
    // Never the URL itself: it holds a password (hence no pattern in values.schema.json, whose errors quote the value).
    expect(message).not.toContain('secret');
  });

  it.each(['billing@example.com', 'Example Shop <billing@example.com>', 'Example Shop <billing@mail.example.com>'])('accept a sender the worker accepts: %s', async (from) => {
    expect(loadConfig({ MAIL_FROM: from }).MAIL_FROM).toBe(from);
    const objects = await template({ values: enabled({ from }) });
    expect(loadConfig(resolveEnv(workerRun(objects, 'emails'), objects)).MAIL_FROM).toBe(from);
  });

  it.each(['billing', 'Example Shop billing@example.com', 'billing@example.com\nBcc: everyone@example.com'])('refuse a sender the worker refuses: %j', async (from) => {
    expect(() => loadConfig({ MAIL_FROM: from })).toThrow(/MAIL_FROM/);
    expect(await refusal(enabled({ from }))).toMatch(/emails\/from/);
  });

  it.each([
    ['1/s', { limit: 1, intervalMs: 1000 }],
    ['600/m', { limit: 600, intervalMs: 60_000 }],
    ['9999999/h', { limit: 9_999_999, intervalMs: 3_600_000 }],
  ])('turn emails.rateLimit %s into a WORKER_RATE_LIMITS the worker reads back', async (rate, parsed) => {
    const objects = await template({ values: enabled({ rateLimit: rate }) });
    expect(loadConfig(resolveEnv(workerRun(objects, 'emails'), objects)).WORKER_RATE_LIMITS).toEqual([{ queue: 'emails', ...parsed }]);
  });

  it.each(['0/s', '10/d', '10 /s', '10000000/s', 'emails=10/s'])('refuse emails.rateLimit %j, which the worker would refuse too', async (rate) => {
    expect(() => loadConfig({ WORKER_RATE_LIMITS: `emails=${rate}` })).toThrow(/WORKER_RATE_LIMITS/);
    expect(await refusal(enabled({ rateLimit: rate }))).toMatch(/emails\/rateLimit/);
  });

  it('roll the emails workers, and no other pod, when the relay changes; the API when emails is turned on', async () => {
    const podTemplates = (objects: K8sObject[]) => Object.fromEntries(ofKind(objects, 'Deployment').map((deployment) => [component(deployment), deployment.spec.template]));
    const before = podTemplates(await template({ values: enabled() }));
    const after = podTemplates(await template({ values: enabled({ smtp: { url: 'smtps://baton:other@mail.example.com' } }) }));
    expect(after['worker-emails'].metadata.annotations['checksum/smtp']).not.toBe(before['worker-emails'].metadata.annotations['checksum/smtp']);
    for (const name of ['api', 'worker-workouts', 'worker-invoices']) expect({ name, pod: after[name] }).toEqual({ name, pod: before[name] });
    const renamed = podTemplates(await template({ valuesFiles: ['emails-existing-secret-values.yaml'], set: ['emails.smtp.existingSecret=baton-smtp-v2'] }));
    const existing = podTemplates(render('emails-existing-secret-values.yaml'));
    expect(renamed['worker-emails'].metadata.annotations['checksum/smtp']).not.toBe(existing['worker-emails'].metadata.annotations['checksum/smtp']);
    expect(podTemplates(render(DEFAULTS)).api).not.toEqual(before.api);
  });

  it('say in the NOTES whether emails are on, who sends them, and when a rate limit is not shared', async () => {
    expect(await notes()).toMatch(/Off \(emails\.enabled is false\): the API answers 404 to POST \/v1\/emails/);
    const on = await notes({ valuesFiles: ['emails-values.yaml'] });
    expect(on).toMatch(/worker group\(s\) emails send them as Example Shop <billing@example\.com>\s+through the relay of SMTP_URL in Secret baton-smtp \(key SMTP_URL\), on port 2525\./);
    expect(on).toMatch(/limited to 10\/s, shared by every emails worker pod through Redis/);
    const unshared = await notes({ values: enabled({ rateLimit: '5/m' }) });
    expect(unshared).toMatch(/WARNING: emails\.rateLimit \(5\/m\) without Redis/);
  });
});

describe('webhooks', () => {
  const refusal = async (values: Record<string, unknown>) => {
    const error = await template({ values }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(HelmError);
    return (error as HelmError).stderr;
  };
  const webhookNames = [...WEBHOOK_API_AND_DELIVERY, ...WEBHOOK_DELIVERY_ONLY];
  const podTemplates = (objects: K8sObject[]) => Object.fromEntries(ofKind(objects, 'Deployment').map((deployment) => [component(deployment), deployment.spec.template]));
  /** The egress rule of a policy that opens `port` (a number, or '*' for every port), if any. */
  const ruleFor = (rules: any[], port: number | '*') => rules.find((rule) => rule.ports.some((candidate: any) => (candidate.port ?? '*') === port));

  it('are on by default: a group of their own consumes only webhooks, with the apps’ default settings, and no other worker consumes them or gets those settings', () => {
    const objects = render(DEFAULTS);
    const appDefaults = new BatonConfig();
    const run = workerRun(objects, 'webhooks');
    const config = loadConfig(resolveEnv(run, objects), requiredVariables('worker'));
    expect(config.WORKER_QUEUES).toEqual(['webhooks']);
    expect({
      schedule: config.WEBHOOK_RETRY_SCHEDULE_SEC,
      grace: config.WEBHOOK_SECRET_GRACE_SEC,
      timeout: config.WEBHOOK_TIMEOUT_MS,
      http: config.WEBHOOK_ALLOW_HTTP,
      hosts: config.WEBHOOK_ALLOWED_HOSTS,
    }).toEqual({
      schedule: appDefaults.WEBHOOK_RETRY_SCHEDULE_SEC,
      grace: appDefaults.WEBHOOK_SECRET_GRACE_SEC,
      timeout: appDefaults.WEBHOOK_TIMEOUT_MS,
      http: appDefaults.WEBHOOK_ALLOW_HTTP,
      hosts: appDefaults.WEBHOOK_ALLOWED_HOSTS,
    });
    expect(envVar(run, 'WEBHOOK_RETRY_SCHEDULE_SEC')).toEqual({ name: 'WEBHOOK_RETRY_SCHEDULE_SEC', value: '5,300,1800,7200,18000,36000' });
    // Empty: not set at all, as CORS_ORIGINS.
    expect(envVar(run, 'WEBHOOK_ALLOWED_HOSTS')).toBeUndefined();
    for (const other of runsOf(objects, 'worker').filter((candidate) => component(candidate.workload) !== 'worker-webhooks')) {
      const where = component(other.workload);
      expect({ where, queues: loadConfig(resolveEnv(other, objects)).WORKER_QUEUES.includes('webhooks') }).toEqual({ where, queues: false });
      expect({ where, names: variableNames(other, objects).filter((name) => webhookNames.includes(name)) }).toEqual({ where, names: [] });
    }
    const api = runsOf(objects, 'api')[0];
    expect(variableNames(api, objects).filter((name) => webhookNames.includes(name)).sort()).toEqual(['WEBHOOK_ALLOW_HTTP', 'WEBHOOK_SECRET_GRACE_SEC']);
    expect(loadConfig(resolveEnv(api, objects)).WEBHOOK_ALLOW_HTTP).toBe(false);
  });

  it('give the API the URL rules and the rotation grace, and the webhooks workers all five settings, which the apps read back as given', () => {
    const objects = render('webhooks-values.yaml');
    const allowedHosts = ['10.20.0.0/16', 'hooks.internal.example.com', '[fd00::10]'];
    const api = loadConfig(resolveEnv(runsOf(objects, 'api')[0], objects), requiredVariables('api'));
    expect([api.WEBHOOK_ALLOW_HTTP, api.WEBHOOK_ALLOWED_HOSTS, api.WEBHOOK_SECRET_GRACE_SEC]).toEqual([true, allowedHosts, 3600]);
    for (const name of WEBHOOK_DELIVERY_ONLY) expect(envVar(runsOf(objects, 'api')[0], name)).toBeUndefined();
    const run = workerRun(objects, 'webhooks');
    const worker = loadConfig(resolveEnv(run, objects), requiredVariables('worker'));
    expect(worker.WORKER_QUEUES).toEqual(['webhooks']);
    expect([worker.WORKER_CONCURRENCY, worker.DATABASE_POOL_SIZE]).toEqual([16, 16]);
    expect({
      schedule: worker.WEBHOOK_RETRY_SCHEDULE_SEC,
      grace: worker.WEBHOOK_SECRET_GRACE_SEC,
      timeout: worker.WEBHOOK_TIMEOUT_MS,
      http: worker.WEBHOOK_ALLOW_HTTP,
      hosts: worker.WEBHOOK_ALLOWED_HOSTS,
    }).toEqual({ schedule: [10, 60, 600], grace: 3600, timeout: 5000, http: true, hosts: allowedHosts });
    // What the delivery workers then allow, by their own policy.
    const policy = new WebhookAddressPolicy(worker);
    expect(policy.parse('http://hooks.example.com/baton')).toBeInstanceOf(URL);
    expect(policy.isAllowedName('hooks.internal.example.com')).toBe(true);
    expect(['10.20.7.1', 'fd00::10', '10.21.0.1', 'fd00::11'].map((address) => policy.isAllowedAddress(address))).toEqual([true, true, false, false]);
    // KEDA on the webhooks queue.
    const [scaled] = ofKind(objects, 'ScaledObject');
    expect(component(scaled)).toBe('worker-webhooks');
    expect(scaled.spec.triggers.map((trigger: any) => trigger.metadata.queueName)).toEqual(['webhooks']);
  });

  it('let the webhooks workers, and no other pod, reach 443 (and 80 with allowHttp) on public addresses, and every TCP port of the allowed addresses and ranges', () => {
    const objects = render('webhooks-values.yaml');
    for (const policy of ofKind(objects, 'NetworkPolicy')) {
      const rules = policy.spec.egress as any[];
      if (component(policy) !== 'worker-webhooks') {
        expect({ policy: component(policy), https: ruleFor(rules, 443), http: ruleFor(rules, 80), any: ruleFor(rules, '*') }).toEqual({ policy: component(policy), https: undefined, http: undefined, any: undefined });
        continue;
      }
      expect(ruleFor(rules, 443)).toEqual({ ports: [{ port: 443, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }], to: VALUES.networkPolicy.webhookTo });
      // A host name has no rule: a NetworkPolicy cannot name one.
      expect(ruleFor(rules, '*')).toEqual({ ports: [{ protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.20.0.0/16' } }, { ipBlock: { cidr: 'fd00::10/128' } }] });
      expect(portsOf(rules)).toEqual(['TCP/*', 'TCP/443', 'TCP/53', 'TCP/5432', 'TCP/5671', 'TCP/5672', 'TCP/80', 'UDP/53']);
    }
  });

  it('open 443 only, to public addresses only, by default; and any destination with networkPolicy.webhookTo empty', async () => {
    const objects = await template({ values: { networkPolicy: { enabled: true } } });
    const rules = egressOf(objects, 'worker-webhooks');
    expect(ruleFor(rules, 443)).toEqual({ ports: [{ port: 443, protocol: 'TCP' }], to: VALUES.networkPolicy.webhookTo });
    expect([ruleFor(rules, 80), ruleFor(rules, '*')]).toEqual([undefined, undefined]);
    const anywhere = egressOf(await template({ values: { networkPolicy: { enabled: true, webhookTo: [], webhookPorts: [443, 8443] } } }), 'worker-webhooks');
    expect(ruleFor(anywhere, 443)).toEqual({ ports: [{ port: 443, protocol: 'TCP' }, { port: 8443, protocol: 'TCP' }] });
  });

  it('list port 80 once when networkPolicy.webhookPorts has it already, whether given in a file or by --set', async () => {
    for (const options of [{ values: { networkPolicy: { webhookPorts: [443, 80] } } }, { set: ['networkPolicy.webhookPorts={443,80}'] }]) {
      const rules = egressOf(await template({ valuesFiles: ['webhooks-values.yaml'], ...options }), 'worker-webhooks');
      expect(portsOf(rules).filter((port) => port === 'TCP/80')).toHaveLength(1);
    }
  });

  // The default networkPolicy.webhookTo is a coarse copy of the workers' own rule: every address it keeps the
  // workers from, the workers refuse too, and the addresses they deliver to it lets through.
  it.each([
    ['10.1.2.3', false],
    ['172.16.5.4', false],
    ['192.168.1.1', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.1', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:10.0.0.1', false],
    ['93.184.215.14', true],
    ['8.8.8.8', true],
    ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', true],
  ])('the default webhookTo and the workers agree on %s (public: %s)', (address, isPublic) => {
    // An IPv4-mapped address leaves as its IPv4 address, which the network then judges (ipaddr.process does the same).
    const parsed = ipaddr.process(address);
    const peers = VALUES.networkPolicy.webhookTo as Array<{ ipBlock: { cidr: string; except: string[] } }>;
    const inBlock = (cidr: string) => {
      const [range, bits] = ipaddr.parseCIDR(cidr);
      return range.kind() === parsed.kind() && parsed.match(range, bits);
    };
    const reachable = peers.some(({ ipBlock }) => inBlock(ipBlock.cidr) && !ipBlock.except.some(inBlock));
    expect(reachable).toBe(isPublic);
    expect(new WebhookAddressPolicy(new BatonConfig()).isAllowedAddress(address)).toBe(isPublic);
  });

  // What the workers accept in WEBHOOK_ALLOWED_HOSTS, the chart accepts too, and opens the addresses and ranges among them.
  it.each([
    ['hooks.example.com', undefined],
    ['localhost', undefined],
    ['receiver.hooks.svc.cluster.local.', undefined],
    ['999.1.1.1', undefined], // four numbers but no IPv4 address: a host name, for the apps as for the chart
    ['10.0.0.7', '10.0.0.7/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['::1', '::1/128'],
    ['[::1]', '::1/128'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['fd00::/8', 'fd00::/8'],
    ['::ffff:10.0.0.1', '10.0.0.1/32'], // IPv4-mapped: it leaves as its IPv4 address
  ])('accept the allowed host %s (ipBlock %s), which the workers accept', async (entry, cidr) => {
    expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: entry }).WEBHOOK_ALLOWED_HOSTS).toEqual([entry]);
    const objects = await template({ values: { webhooks: { allowedHosts: [entry] }, networkPolicy: { enabled: true } } });
    expect(loadConfig(resolveEnv(workerRun(objects, 'webhooks'), objects)).WEBHOOK_ALLOWED_HOSTS).toEqual([entry]);
    const rule = ruleFor(egressOf(objects, 'worker-webhooks'), '*');
    expect(rule?.to).toEqual(cidr === undefined ? undefined : [{ ipBlock: { cidr } }]);
  });

  it.each([
    ['two entries in one', 'a.example.com,b.example.com'],
    ['a URL', 'https://hooks.example.com'],
    ['a space', ' 10.0.0.1'],
    ['a prefix too long for IPv4', '10.0.0.0/33'],
    ['a prefix too long for IPv6', 'fd00::/129'],
    ['an IPv4 address the NetworkPolicy could not read', '10/8'],
    ['a range in brackets', '[fd00::]/8'],
    ['no address at all', ':::'],
    ['an empty entry', ''],
  ])('refuse an allowed host with %s', async (_what, entry) => {
    expect(await refusal({ webhooks: { allowedHosts: [entry] } })).toMatch(/webhooks\/allowedHosts\/0/);
  });

  it.each([
    ['an empty retry schedule', { retryScheduleSec: [] }, /webhooks\/retryScheduleSec/],
    ['more than 20 retries', { retryScheduleSec: Array.from({ length: 21 }, (_, index) => index + 1) }, /webhooks\/retryScheduleSec/],
    ['a retry after 0 s', { retryScheduleSec: [0, 60] }, /webhooks\/retryScheduleSec\/0/],
    ['a retry after more than a week', { retryScheduleSec: [60, 604801] }, /webhooks\/retryScheduleSec\/1/],
    ['a retry schedule as one string', { retryScheduleSec: '5,300' }, /webhooks\/retryScheduleSec/],
    ['a timeout under 100 ms', { timeoutMs: 99 }, /webhooks\/timeoutMs/],
    ['a timeout over a minute', { timeoutMs: 60001 }, /webhooks\/timeoutMs/],
    ['a negative grace', { secretGraceSec: -1 }, /webhooks\/secretGraceSec/],
    ['a grace over 30 days', { secretGraceSec: 2592001 }, /webhooks\/secretGraceSec/],
    ['allowHttp as a string', { allowHttp: 'true' }, /webhooks\/allowHttp/],
    ['an unknown key', { retries: 3 }, /additional propert(y|ies) 'retries' not allowed/],
  ])('refuse %s, as the apps would', async (_what, webhooks, message) => {
    expect(await refusal({ webhooks })).toMatch(message);
  });

  it('refuse to leave the webhooks queue without a consumer while webhooks.enabled, naming it', async () => {
    for (const workers of [{ webhooks: null }, { webhooks: { enabled: false } }]) {
      expect(await refusal({ workers })).toMatch(/no enabled worker group consumes webhooks\b.*workers\.webhooks.*webhooks\.enabled=false/);
    }
  });

  it('refuse a group that mixes webhooks with a job type while webhooks.enabled is false', async () => {
    expect(await refusal({ webhooks: { enabled: false }, workers: { workouts: { queues: ['workouts', 'webhooks'] } } })).toMatch(/workers\.workouts consumes webhooks, which webhooks\.enabled=false turns off/);
  });

  it('when off, render no group that consumes only webhooks and no rule out to the internet, say so in the NOTES, and still give the API its settings', async () => {
    const values = { webhooks: { enabled: false }, workers: { hooks: { queues: ['webhooks'] } }, networkPolicy: { enabled: true } };
    const objects = await template({ values });
    expect(ofKind(objects, 'Deployment').map(component).sort()).toEqual(['api', 'worker-invoices', 'worker-workouts']);
    for (const policy of ofKind(objects, 'NetworkPolicy')) expect(portsOf(policy.spec.egress)).not.toContain('TCP/443');
    for (const run of runsOf(objects, 'worker')) expect(variableNames(run, objects).filter((name) => webhookNames.includes(name))).toEqual([]);
    // The API has no switch for webhooks: it still checks endpoint URLs as configured.
    expect(loadConfig(resolveEnv(runsOf(objects, 'api')[0], objects)).WEBHOOK_SECRET_GRACE_SEC).toBe(86400);
    const text = await notes({ values });
    expect(text).toMatch(/Off \(webhooks\.enabled is false\): no pod delivers webhooks\./);
    expect(text).toMatch(/Not deployed, as all they consume is turned off: worker group\(s\) hooks, webhooks\./);
  });

  it('give any group that consumes webhooks the delivery settings and the way out, and another, none', async () => {
    const objects = await template({ values: { workers: { webhooks: null, workouts: { queues: ['workouts', 'webhooks'] } }, networkPolicy: { enabled: true } } });
    const config = loadConfig(resolveEnv(workerRun(objects, 'workouts'), objects), requiredVariables('worker'));
    expect(config.WORKER_QUEUES).toEqual(['workouts', 'webhooks']);
    expect(variableNames(workerRun(objects, 'workouts'), objects)).toEqual(expect.arrayContaining(webhookNames.filter((name) => name !== 'WEBHOOK_ALLOWED_HOSTS')));
    expect(portsOf(egressOf(objects, 'worker-workouts'))).toContain('TCP/443');
    expect(portsOf(egressOf(objects, 'worker-invoices'))).not.toContain('TCP/443');
  });

  it('roll the webhooks workers, and no other pod, when a delivery setting changes; the API too when a URL rule changes', async () => {
    const before = podTemplates(render(DEFAULTS));
    const changed = (after: Record<string, any>) => Object.keys(after).filter((name) => JSON.stringify(after[name]) !== JSON.stringify(before[name])).sort();
    expect(changed(podTemplates(await template({ values: { webhooks: { timeoutMs: 5000, retryScheduleSec: [60] } } })))).toEqual(['worker-webhooks']);
    expect(changed(podTemplates(await template({ values: { webhooks: { allowedHosts: ['10.0.0.0/8'] } } })))).toEqual(['api', 'worker-webhooks']);
    expect(changed(podTemplates(await template({ values: { webhooks: { secretGraceSec: 60 } } })))).toEqual(['api', 'worker-webhooks']);
  });

  it('say in the NOTES who delivers, on which schedule, where to, and which allowed host the NetworkPolicy cannot follow', async () => {
    expect(await notes()).toMatch(/Worker group\(s\) webhooks POST them, signed,[\s\S]*retrying after 5, 300, 1800, 7200, 18000, 36000 s\.\s+Endpoint URLs must be https:\/\/ and resolve to public addresses\./);
    const text = await notes({ valuesFiles: ['webhooks-values.yaml'] });
    expect(text).toMatch(/Their NetworkPolicy lets them out on TCP 443, 80 to networkPolicy\.webhookTo, and on every TCP port to 10\.20\.0\.0\/16, fd00::10\/128\./);
    expect(text).toMatch(/WARNING: a NetworkPolicy cannot name a host: hooks\.internal\.example\.com/);
  });
});

describe('read replicas', () => {
  const apiRun = (objects: K8sObject[]) => runsOf(objects, 'api')[0];
  const readVariables = (run: ContainerRun, objects: K8sObject[]) => variableNames(run, objects).filter((name) => name.startsWith('DATABASE_READ_'));

  it('are off by default: no pod gets DATABASE_READ_URL or DATABASE_READ_MIN_AGE_MS, and the Secret holds no replica', () => {
    const objects = render(DEFAULTS);
    for (const run of containerRuns(objects)) expect(readVariables(run, objects)).toEqual([]);
    expect(Object.keys(named(objects, 'Secret', 'baton').stringData)).not.toContain('DATABASE_READ_URL');
  });

  it("give the API, and no other pod, DATABASE_READ_URL from the chart's Secret and the bound, which the API reads back as the replicas and the number given", () => {
    const objects = render('read-replicas-values.yaml');
    const run = apiRun(objects);
    expect(envVar(run, 'DATABASE_READ_URL')).toEqual({ name: 'DATABASE_READ_URL', valueFrom: { secretKeyRef: { name: 'baton', key: 'DATABASE_READ_URL' } } });
    expect(loadConfig(resolveEnv(run, objects, external))).toMatchObject({
      DATABASE_READ_URL: ['postgres://baton:CHANGE-ME@baton-postgresql-ro-1:5432/baton', 'postgres://baton:CHANGE-ME@baton-postgresql-ro-2:5432/baton'],
      DATABASE_READ_MIN_AGE_MS: 2000,
    });
    for (const other of containerRuns(objects).filter((candidate) => candidate.role !== 'api')) expect(readVariables(other, objects)).toEqual([]);
  });

  it('read DATABASE_READ_URL from an existing Secret under secret.databaseReadUrlKey, and refuse database.readUrl beside it', async () => {
    const objects = await template({ valuesFiles: ['existing-secret-values.yaml'], set: ['secret.databaseReadUrlKey=replica-uris'] });
    const run = apiRun(objects);
    expect(envVar(run, 'DATABASE_READ_URL')).toEqual({ name: 'DATABASE_READ_URL', valueFrom: { secretKeyRef: { name: 'baton-credentials', key: 'replica-uris' } } });
    expect(loadConfig(resolveEnv(run, objects, external)).DATABASE_READ_URL).toHaveLength(2);
    expect(loadConfig(resolveEnv(run, objects, external)).DATABASE_READ_MIN_AGE_MS).toBe(1000);
    await expect(template({ valuesFiles: ['existing-secret-values.yaml'], values: { database: { readUrl: 'postgres://baton@replica:5432/baton' } } })).rejects.toThrow(/secret.databaseReadUrlKey/);
  });

  // The Secret is shared: the workers roll too, as for any credential.
  it('roll the API when the replicas change, in the chart\'s Secret or by the key in an existing one', async () => {
    const apiChecksum = (objects: K8sObject[]) => deploymentOf(objects, 'baton-api').spec.template.metadata.annotations['checksum/secret'];
    const replicas = await template({ values: { database: { readUrl: 'postgres://baton:secret@replica:5432/baton' } } });
    expect(apiChecksum(replicas)).not.toBe(apiChecksum(render(DEFAULTS)));
    const keyed = await template({ valuesFiles: ['existing-secret-values.yaml'], set: ['secret.databaseReadUrlKey=replica-uris'] });
    expect(apiChecksum(keyed)).not.toBe(apiChecksum(render('existing-secret-values.yaml')));
  });

  it.each([
    [{ readUrl: 'mysql://baton@replica/baton' }, /readUrl/],
    [{ readUrl: 'postgres://replica-1/baton, postgres://replica-2/baton' }, /readUrl/],
    [{ readMinAgeMs: 60_001 }, /readMinAgeMs/],
    [{ readMinAgeMs: -1 }, /readMinAgeMs/],
  ])('the schema refuses database %j', async (database, message) => {
    await expect(template({ values: { database } })).rejects.toThrow(message);
  });
});

describe('PostgreSQL timeouts', () => {
  it("give every process the statement and query timeouts, which it reads back as the apps' defaults", () => {
    const objects = render(DEFAULTS);
    const defaults = new BatonConfig();
    for (const run of containerRuns(objects).filter((candidate) => candidate.role !== 'migrate')) {
      const config = loadConfig(resolveEnv(run, objects, external));
      expect([config.DATABASE_STATEMENT_TIMEOUT_MS, config.DATABASE_QUERY_TIMEOUT_MS]).toEqual([defaults.DATABASE_STATEMENT_TIMEOUT_MS, defaults.DATABASE_QUERY_TIMEOUT_MS]);
    }
  });

  it('carry the values given, and refuse a query timeout that does not exceed the statement timeout', async () => {
    const objects = await template({ values: { config: { databaseStatementTimeoutMs: 5000, databaseQueryTimeoutMs: 7000 } } });
    const config = loadConfig(resolveEnv(runsOf(objects, 'api')[0], objects, external));
    expect([config.DATABASE_STATEMENT_TIMEOUT_MS, config.DATABASE_QUERY_TIMEOUT_MS]).toEqual([5000, 7000]);
    await expect(template({ values: { config: { databaseStatementTimeoutMs: 5000, databaseQueryTimeoutMs: 5000 } } })).rejects.toThrow(/databaseQueryTimeoutMs must exceed/);
  });

  it.each([
    [{ databaseStatementTimeoutMs: 99 }, /databaseStatementTimeoutMs/],
    [{ databaseQueryTimeoutMs: 3_700_001 }, /databaseQueryTimeoutMs/],
  ])('the schema refuses config %j', async (config, message) => {
    await expect(template({ values: { config } })).rejects.toThrow(message);
  });
});

describe('RabbitMQ cluster nodes', () => {
  const nodesOf = (objects: K8sObject[]) => containerRuns(objects).filter((run) => run.role !== 'migrate');

  it('are not set by default: no pod gets RABBITMQ_URLS, the Secret holds none, and every process asks for the 15 s heartbeat', () => {
    const objects = render(DEFAULTS);
    for (const run of nodesOf(objects)) {
      expect(envVar(run, 'RABBITMQ_URLS')).toBeUndefined();
      expect(loadConfig(resolveEnv(run, objects, external)).RABBITMQ_HEARTBEAT_SEC).toBe(15);
    }
    expect(Object.keys(named(objects, 'Secret', 'baton').stringData)).not.toContain('RABBITMQ_URLS');
  });

  it("give the API and every worker RABBITMQ_URLS from the chart's Secret and the heartbeat, which they read back as the three nodes and the number given", () => {
    const objects = render('rabbitmq-cluster-values.yaml');
    const runs = nodesOf(objects);
    expect(runs.map((run) => run.role)).toEqual(expect.arrayContaining(['api', 'worker']));
    for (const run of runs) {
      expect(envVar(run, 'RABBITMQ_URLS')).toEqual({ name: 'RABBITMQ_URLS', valueFrom: { secretKeyRef: { name: 'baton', key: 'RABBITMQ_URLS' } } });
      const config = loadConfig(resolveEnv(run, objects, external));
      expect(config.RABBITMQ_URLS).toEqual([0, 1, 2].map((node) => `amqp://baton:CHANGE-ME@baton-rabbitmq-server-${node}.baton-rabbitmq-nodes:5672/baton`));
      expect(config.RABBITMQ_HEARTBEAT_SEC).toBe(10);
    }
  });

  it('read RABBITMQ_URLS from an existing Secret under secret.rabbitmqUrlsKey, roll the pods when that key changes, and refuse rabbitmq.urls beside it', async () => {
    const objects = await template({ valuesFiles: ['existing-secret-values.yaml'], set: ['secret.rabbitmqUrlsKey=amqp-node-uris'] });
    for (const run of nodesOf(objects)) {
      expect(envVar(run, 'RABBITMQ_URLS')).toEqual({ name: 'RABBITMQ_URLS', valueFrom: { secretKeyRef: { name: 'baton-credentials', key: 'amqp-node-uris' } } });
      expect(loadConfig(resolveEnv(run, objects, external)).RABBITMQ_URLS).toHaveLength(3);
    }
    const apiChecksum = (rendered: K8sObject[]) => deploymentOf(rendered, 'baton-api').spec.template.metadata.annotations['checksum/secret'];
    expect(apiChecksum(objects)).not.toBe(apiChecksum(render('existing-secret-values.yaml')));
    await expect(template({ valuesFiles: ['existing-secret-values.yaml'], values: { rabbitmq: { urls: 'amqp://baton@mq-0:5672/baton' } } })).rejects.toThrow(/secret.rabbitmqUrlsKey/);
  });

  it.each([
    [{ urls: 'http://mq-0:5672/baton' }, /urls/],
    [{ urls: 'amqp://mq-0/baton, amqp://mq-1/baton' }, /urls/],
    [{ heartbeatSec: 0 }, /heartbeatSec/],
    [{ heartbeatSec: 601 }, /heartbeatSec/],
  ])('the schema refuses rabbitmq %j', async (rabbitmq, message) => {
    await expect(template({ values: { rabbitmq } })).rejects.toThrow(message);
  });
});

describe('retention', () => {
  /** The retention a group's worker reads from its environment, as it does at start. */
  const retentionOf = (objects: K8sObject[], group: string) => {
    const config = loadConfig(resolveEnv(workerRun(objects, group), objects, external));
    return [config.JOB_RETENTION_COMPLETED_SEC, config.JOB_RETENTION_DEAD_SEC, config.JOB_RETENTION_CANCELLED_SEC, config.JOB_RETENTION_SWEEP_MS];
  };

  it('defaults to the apps’ own defaults in every worker group, and sets none of it on the API', () => {
    const objects = render(DEFAULTS);
    const defaults = new BatonConfig();
    for (const group of Object.keys(workerGroups(DEFAULTS))) {
      expect({ group, retention: retentionOf(objects, group) }).toEqual({
        group,
        retention: [defaults.JOB_RETENTION_COMPLETED_SEC, defaults.JOB_RETENTION_DEAD_SEC, defaults.JOB_RETENTION_CANCELLED_SEC, defaults.JOB_RETENTION_SWEEP_MS],
      });
    }
    expect(variableNames(runsOf(objects, 'api')[0], objects).filter((name) => name.startsWith('JOB_RETENTION_'))).toEqual([]);
  });

  it('gives each group the global retention with its own overrides, which its worker reads back', () => {
    const objects = render('retention-values.yaml');
    expect(retentionOf(objects, 'workouts')).toEqual([86_400, 1_209_600, 3_600, 30_000]);
    expect(retentionOf(objects, 'invoices')).toEqual([2_592_000, 0, 3_600, 30_000]);
  });
});

describe('tracing', () => {
  const tracingVariables = (objects: K8sObject[], run: ContainerRun) => variableNames(run, objects).filter((name) => name.startsWith('OTEL_'));

  it('is off by default: no pod gets an OTEL_ variable, so no SDK starts', () => {
    const objects = render(DEFAULTS);
    for (const run of containerRuns(objects)) expect({ role: run.role, variables: tracingVariables(objects, run) }).toEqual({ role: run.role, variables: [] });
  });

  it('gives the API and every worker group the collector, the sampler and the resource attributes, which their config accepts', () => {
    const objects = render('tracing-values.yaml');
    const runs = [...runsOf(objects, 'api'), ...runsOf(objects, 'worker')];
    expect(runs.length).toBeGreaterThan(1);
    for (const run of runs) {
      const env = resolveEnv(run, objects, external);
      const config = loadConfig(env);
      expect([config.OTEL_EXPORTER_OTLP_ENDPOINT, config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG]).toEqual([
        'http://otel-collector.observability:4318',
        'parentbased_traceidratio',
        '0.25',
      ]);
      // Percent-encoded as the specification asks: the comma in a value is not a separator.
      expect(env.OTEL_RESOURCE_ATTRIBUTES).toBe('deployment.environment.name=prod,team=payments%2Cmobile');
    }
    // The migration Job exports nothing: the CLI does not trace.
    for (const run of runsOf(objects, 'migrate')) expect(tracingVariables(objects, run)).toEqual([]);
  });

  it("lets the API and worker pods reach the collector's port through their NetworkPolicies", () => {
    const objects = render('tracing-values.yaml');
    const policies = ofKind(objects, 'NetworkPolicy');
    expect(policies.length).toBeGreaterThan(1);
    for (const policy of policies) {
      const ports = policy.spec.egress.flatMap((rule: any) => (rule.ports ?? []).map((port: any) => `${port.protocol}/${port.port}`));
      expect({ policy: policy.metadata.name, collector: ports.includes('TCP/4318') }).toEqual({ policy: policy.metadata.name, collector: true });
    }
  });

  it.each([
    ['https://otlp.example.com', 443],
    ['http://collector', 80],
    ['https://otlp.example.com:4318/base', 4318],
  ])("takes the collector's port from %s (%i)", async (endpoint, port) => {
    const objects = await template({ set: [`tracing.otlpEndpoint=${endpoint}`, 'networkPolicy.enabled=true'] });
    const policy = ofKind(objects, 'NetworkPolicy').find((candidate) => component(candidate) === 'api')!;
    const ports = policy.spec.egress.flatMap((rule: any) => (rule.ports ?? []).map((candidate: any) => candidate.port));
    expect(ports).toContain(port);
  });

  it.each([['tracing.otlpEndpoint=collector:4318'], ['tracing.sampler=sometimes'], ['tracing.samplerArg=2']])('refuses %s at helm template', async (setting) => {
    await expect(template({ set: [setting] })).rejects.toThrow(HelmError);
  });
});

describe('two releases in one namespace', () => {
  it.each([
    ['alpha', 'beta'],
    // Release names of 53 characters (Helm's limit) that differ only at the end.
    ['baton-release-with-a-very-long-name-for-the-tests-one', 'baton-release-with-a-very-long-name-for-the-tests-two'],
  ])('%s and %s share no object name and select none of each other’s pods', async (first, second) => {
    const everything = ['keda-values.yaml', 'servicemonitor-values.yaml', 'networkpolicy-values.yaml', 'pdb-values.yaml', 'ingress-values.yaml'];
    const [a, b] = await Promise.all([first, second].map((release) => template({ release, valuesFiles: everything })));
    const key = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
    const namesA = new Set(a.map(key));
    expect(namesA.size).toBe(a.length);
    expect(b.map(key).filter((name) => namesA.has(name))).toEqual([]);
    for (const object of [...a, ...b]) expect(object.metadata.name.length).toBeLessThanOrEqual(63);
    const podsOf = (objects: K8sObject[]) => ofKind(objects, 'Deployment').map((deployment) => deployment.spec.template.metadata.labels);
    const selectorsOf = (objects: K8sObject[]) => [
      ...ofKind(objects, 'Deployment').map((object) => object.spec.selector.matchLabels),
      ...ofKind(objects, 'Service').map((object) => object.spec.selector),
      ...ofKind(objects, 'PodDisruptionBudget').map((object) => object.spec.selector.matchLabels),
      ...ofKind(objects, 'NetworkPolicy').map((object) => object.spec.podSelector.matchLabels),
    ];
    for (const [mine, theirs] of [
      [a, b],
      [b, a],
    ]) {
      for (const selector of selectorsOf(mine)) expect(podsOf(theirs).filter((labels) => selects(selector, labels))).toEqual([]);
    }
  });
});

describe('values.schema.json and the chart refuse bad values', () => {
  const refusal = async (options: Parameters<typeof template>[0]) => {
    const error = await template(options).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(HelmError);
    return (error as HelmError).stderr;
  };

  it.each([
    ['a top-level key', { replicaCount: 3 }, /additional propert(y|ies) 'replicaCount' not allowed/],
    ['a nested key', { api: { service: { nodePort: 30000 } } }, /additional propert(y|ies) 'nodePort' not allowed/],
    ['a key of a worker group', { workers: { workouts: { queue: 'workouts' } } }, /additional propert(y|ies) 'queue' not allowed/],
    ['a key of a group’s retention', { workers: { workouts: { retention: { completedDays: 7 } } } }, /additional propert(y|ies) 'completedDays' not allowed/],
    ['a key of a security context', { securityContext: { runAsRoot: true } }, /additional propert(y|ies) 'runAsRoot' not allowed/],
  ])('an unknown key: %s', async (_what, values, message) => {
    expect(await refusal({ values })).toMatch(message);
  });

  it.each([
    ['a string for a number', { api: { replicas: 'two' } }, /api\/replicas/],
    ['a number for a boolean', { api: { ingress: { enabled: 1 } } }, /api\/ingress\/enabled/],
    ['an object for a list', { workers: { workouts: { queues: 'workouts' } } }, /workers\/workouts\/queues/],
    ['a queue Baton does not have', { workers: { workouts: { queues: ['sms'] } } }, /workers\/workouts\/queues\/0/],
    ['a log level the apps refuse', { config: { logLevel: 'verbose' } }, /config\/logLevel/],
    ['a database URL the apps refuse', { secret: { databaseUrl: 'mysql://db/baton' } }, /secret\/databaseUrl/],
    ['a rate limit of 0 requests', { rateLimit: { max: 0 } }, /rateLimit\/max/],
    ['a rate limit above the app’s cap', { rateLimit: { max: 10_000_001 } }, /rateLimit\/max/],
    ['a rate-limit window under a second', { rateLimit: { windowMs: 999 } }, /rateLimit\/windowMs/],
    ['a rate-limit window over an hour', { rateLimit: { windowMs: 3600001 } }, /rateLimit\/windowMs/],
    ['a Secret key with a space', { rateLimit: { redis: { existingSecret: 'baton-redis', secretKey: 'redis url' } } }, /rateLimit\/redis\/secretKey/],
    ['a Secret name that is not a Kubernetes name', { auth: { bootstrapKey: { existingSecret: 'Bootstrap_Key' } } }, /auth\/bootstrapKey\/existingSecret/],
    ['a tenant with capitals and a space', { auth: { bootstrapKey: { tenant: 'Acme Corp' } } }, /auth\/bootstrapKey\/tenant/],
    ['a tenant starting with a dash', { auth: { bootstrapKey: { tenant: '-acme' } } }, /auth\/bootstrapKey\/tenant/],
    ['a tenant of 64 characters', { auth: { bootstrapKey: { tenant: 'a'.repeat(64) } } }, /auth\/bootstrapKey\/tenant/],
    ['a negative key cache', { auth: { keyCacheMs: -1 } }, /auth\/keyCacheMs/],
    ['a key cache over an hour', { auth: { keyCacheMs: 3600001 } }, /auth\/keyCacheMs/],
    ['a read cache TTL of 0 (readCache.enabled says off)', { readCache: { ttlSec: 0 } }, /readCache\/ttlSec/],
    ['a read cache TTL over a day', { readCache: { ttlSec: 86401 } }, /readCache\/ttlSec/],
    ['a read cache key prefix with a space', { readCache: { keyPrefix: 'baton prod' } }, /readCache\/keyPrefix/],
    ['a read cache timeout under 5 ms', { readCache: { timeoutMs: 4 } }, /readCache\/timeoutMs/],
    ['a string for the read cache switch', { readCache: { enabled: 'yes' } }, /readCache\/enabled/],
    ['a string for the key cache', { auth: { keyCacheMs: '60s' } }, /auth\/keyCacheMs/],
    ['a CORS origin without a scheme', { api: { cors: { origins: ['app.example.com'] } } }, /api\/cors\/origins\/0/],
    ['a CORS origin with a path', { api: { cors: { origins: ['https://app.example.com', 'https://app.example.com/app'] } } }, /api\/cors\/origins\/1/],
    ['CORS origins as one comma-separated string', { api: { cors: { origins: 'https://a.example.com,https://b.example.com' } } }, /api\/cors\/origins/],
    ['a request timeout under a second', { api: { http: { requestTimeoutMs: 999 } } }, /api\/http\/requestTimeoutMs/],
    ['a headers timeout over ten minutes', { api: { http: { headersTimeoutMs: 600001 } } }, /api\/http\/headersTimeoutMs/],
    ['a Redis port out of range', { networkPolicy: { redisPort: 0 } }, /networkPolicy\/redisPort/],
    ['a negative retention', { retention: { completedSec: -1 } }, /retention\/completedSec/],
    ['a retention as a duration string', { workers: { invoices: { retention: { deadSec: '30d' } } } }, /workers\/invoices\/retention\/deadSec/],
    ['a sweep every 10 ms', { retention: { sweepMs: 10 } }, /retention\/sweepMs/],
  ])('a wrong type or value: %s', async (_what, values, message) => {
    expect(await refusal({ values })).toMatch(message);
  });

  it('closes every object of values.schema.json: no key it does not name, or a typed map', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    const open: string[] = [];
    const visit = (node: any, path: string) => {
      if (Array.isArray(node)) return node.forEach((child, index) => visit(child, `${path}/${index}`));
      if (!node || typeof node !== 'object') return;
      const types = [node.type].flat();
      if (types.includes('object')) {
        const typedMap = !node.properties && typeof node.additionalProperties === 'object';
        if (!(node.properties && node.additionalProperties === false) && !typedMap) open.push(path || '/');
      }
      for (const [key, child] of Object.entries(node)) visit(child, `${path}/${key}`);
    };
    visit(schema, '');
    expect(open).toEqual([]);
  });

  it('lists every job type the apps know in the jobType enum, and every queue a worker may consume in the one workerQueue enum that every queues list refers to', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    expect([...schema.definitions.jobType.enum].sort()).toEqual([...JOB_TYPES].sort());
    expect([...schema.definitions.workerQueue.enum].sort()).toEqual([...WORKER_QUEUE_NAMES].sort());
    for (const where of [schema.definitions.workerDefaults, schema.definitions.workerGroup]) {
      expect(where.properties.queues.items).toEqual({ $ref: '#/definitions/workerQueue' });
    }
  });

  it('checks a bootstrap tenant with the pattern the apps use', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    expect(schema.properties.auth.properties.bootstrapKey.properties.tenant.pattern).toBe(TENANT_PATTERN.source);
    expect(VALUES.auth.bootstrapKey.tenant).toMatch(TENANT_PATTERN);
  });

  it.each([
    ['an API grace period shorter than its drain', { api: { terminationGracePeriodSeconds: 35 } }, /api.terminationGracePeriodSeconds/],
    ['a worker grace period shorter than the shutdown timeout', { workers: { invoices: { terminationGracePeriodSeconds: 25 } } }, /workers.invoices.terminationGracePeriodSeconds/],
    ['a database pool smaller than the concurrency', { workers: { workouts: { concurrency: 20 } } }, /database pool/],
    ['both HPA and KEDA on one group', { workers: { workouts: { autoscaling: { hpa: { enabled: true }, keda: { enabled: true } } } } }, /not both/],
    ['a retry cap below the first delay', { config: { jobRetryBaseMs: 5000, jobRetryMaxMs: 1000 } }, /jobRetryMaxMs/],
    ['no worker group at all', { workers: { workouts: { enabled: false }, invoices: { enabled: false }, webhooks: { enabled: false } } }, /at least one worker group/],
    ['no credentials and no existing Secret', { secret: { databaseUrl: '' } }, /secret.databaseUrl and secret.rabbitmqUrl/],
    ['an HPA on CPU without a CPU request', { api: { autoscaling: { enabled: true }, resources: { requests: { cpu: null } } } }, /requests.cpu/],
    ['a headers timeout longer than the request timeout', { api: { http: { requestTimeoutMs: 5000, headersTimeoutMs: 10000 } } }, /api.http.headersTimeoutMs/],
    ['a bootstrap key without the migration Job that stores it', { migrations: { enabled: false }, auth: { bootstrapKey: { existingSecret: 'baton-bootstrap-key' } } }, /auth.bootstrapKey.*migrations.enabled/],
  ])('settings that would break a release: %s', async (_what, values, message) => {
    expect(await refusal({ values })).toMatch(message);
  });
});

describe('the strict schema check', () => {
  let deployment: K8sObject;
  beforeAll(() => {
    deployment = ofKind(render(DEFAULTS), 'Deployment')[0];
  });
  const copy = <T>(value: T): T => structuredClone(value);

  it('accepts a rendered Deployment as it is', () => {
    expect(() => validateStrictly(copy(deployment))).not.toThrow();
  });

  it('rejects an unknown field at any depth', () => {
    const misspelled = copy(deployment);
    misspelled.spec.template.spec.containers[0].readinessProbe.httpGet.paht = '/health/ready';
    expect(() => validateStrictly(misspelled)).toThrow(/unknown field\(s\) .*readinessProbe\/httpGet\/paht/);
    const topLevel = copy(deployment);
    topLevel.spec.replica = 2;
    expect(() => validateStrictly(topLevel)).toThrow(/\/spec\/replica\b/);
  });

  it('rejects a wrong type', () => {
    const wrong = copy(deployment);
    wrong.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => validateStrictly(wrong)).toThrow(/containerPort/);
  });

  it('rejects unknown fields in the KEDA and Prometheus Operator objects too', () => {
    const keda = ofKind(render('keda-values.yaml'), 'ScaledObject')[0];
    const scaled = copy(keda);
    scaled.spec.triggers[0].authRef = { name: 'x' };
    expect(() => validateStrictly(scaled)).toThrow(/triggers\/0\/authRef/);
    const monitor = copy(ofKind(render('servicemonitor-values.yaml'), 'ServiceMonitor')[0]);
    monitor.spec.endpoints[0].metricsPath = '/metrics';
    expect(() => validateStrictly(monitor)).toThrow(/endpoints\/0\/metricsPath/);
  });

  it('refuses a kind it has no schema for', () => {
    expect(() => validateStrictly({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema/);
  });
});

describe('documentation', () => {
  it('values.yaml documents every key with a comment that starts with its name', async () => {
    const { parseDocument, isMap, isSeq, isScalar } = await import('yaml');
    const document = parseDocument(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string, itemComment?: string) => {
      if (isMap(node)) {
        node.items.forEach((pair, index) => {
          const key = isScalar(pair.key) ? String(pair.key.value) : '?';
          const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (index === 0 ? (itemComment ?? node.commentBefore) : undefined) ?? '';
          // The paragraph right above the key must open with "<key> --".
          const paragraph = comment.split(/\n\s*\n/).pop() ?? '';
          const name = path ? `${path}.${key}` : key;
          if (!paragraph.trimStart().startsWith(`${key} -- `)) undocumented.push(name);
          walk(pair.value, name);
        });
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => walk(item, `${path}[${index}]`, isMap(item) ? (item.commentBefore ?? undefined) : undefined));
      }
    };
    walk(document.contents, '');
    expect(undocumented).toEqual([]);
  });

  it('values.yaml shows how to create a bootstrap key Secret that the chart and the app accept', () => {
    const text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
    const [, name, key, literal] = /kubectl create secret generic (\S+) --from-literal=([^=]+)="([^"]+)"/.exec(text) ?? [];
    expect(key).toBe(VALUES.auth.bootstrapKey.secretKey);
    expect(name).toBe('baton-bootstrap-key');
    // What the shell makes of it: openssl rand -hex 32 prints 64 hex digits.
    const apiKey = literal.replace('$(openssl rand -hex 32)', 'f'.repeat(64));
    expect(apiKey).toMatch(API_KEY_PATTERN);
    expect(EXISTING_SECRETS['baton-bootstrap-key']['api-key']).toMatch(API_KEY_PATTERN);
  });

  it('helm/baton/README.md lists every value', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const paths: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
        for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
      } else paths.push(path);
    };
    walk(VALUES, '');
    expect(paths.filter((path) => !readme.includes(`\`${path}\``))).toEqual([]);
  });
});
