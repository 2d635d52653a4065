/**
 * Plays the kubelet with the chart's own output: renders the chart with
 * DATABASE_URL and RABBITMQ_URL pointed at this machine's PostgreSQL and
 * RabbitMQ (a database and vhost of this suite's own), runs the migration
 * Job's command (which also stores the bootstrap admin key the chart hands
 * it from an operator's Secret), then starts every API and worker container's command from
 * dist/ with the environment the kubelet would build (the image's ENV, the
 * ConfigMap, the Secret, the container's env), probes them as their
 * startup, liveness and readiness probes say, and stops them with SIGTERM.
 *
 * Container ports are remapped to free ports (all worker groups listen on
 * 9464 in their own pods, which would collide on one machine): the variable
 * the chart sets to a container port is set to the free port instead, and
 * the probes follow the same mapping.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashApiKey } from '@baton/auth';
import { BatonProcess, freePort } from '../support/processes';
import { createTestDatabase, createTestVhost, TestDatabase, TestVhost } from '../support/services';
import { describeWithServices } from '../support/mode';
import { waitFor } from '../support/wait-for';
import { K8sObject, podSpecOf, ROOT, template } from './helm';
import { ContainerRun, containerRuns, probeOnce as probeContainer, ProbeName, resolveEnv } from './pods';

/** The operator's Secret named by auth.bootstrapKey.existingSecret, which the chart does not render. */
const BOOTSTRAP_SECRET = 'smoke-bootstrap-key';
const BOOTSTRAP_KEY = `baton_${'5a'.repeat(32)}`;
const BOOTSTRAP_TENANT = 'smoke';
const external = (name: string, key: string) => (name === BOOTSTRAP_SECRET && key === 'api-key' ? BOOTSTRAP_KEY : undefined);

/** The runtime stage's ENV lines: what every container starts with. */
function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, assignments] of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, name, value] of assignments.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[name] = value.replace(/^"|"$/g, '');
  }
  return env;
}

interface Pod {
  run: ContainerRun;
  process: BatonProcess;
  /** Container port -> the free port it runs on here. */
  ports: Map<number, number>;
}

/** A probe as the kubelet makes it, on the free port the container port was moved to. */
function probeOnce(pod: Pod, probeName: ProbeName): Promise<boolean> {
  return probeContainer(pod.run.container, probeName, (containerPort) => {
    const port = pod.ports.get(containerPort);
    if (port === undefined) throw new Error(`${probeName} of ${pod.run.workload.metadata.name} targets a port the container does not declare`);
    return port;
  });
}

/** Polls a probe until it succeeds, within `budgetMs`, failing early if the process dies. */
function probeUntilSuccess(pod: Pod, probeName: ProbeName, budgetMs: number): Promise<true> {
  return waitFor(
    `${probeName} of ${pod.run.workload.metadata.name}`,
    async () => {
      if (!pod.process.running) throw new Error(`the process exited:\n${pod.process.logs}`);
      return (await probeOnce(pod, probeName)) ? true : undefined;
    },
    budgetMs,
    100,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${pod.process.logs}`);
  });
}

describeWithServices('runs the API and worker containers of the chart, which need RabbitMQ', 'the chart played by a kubelet against the real services', () => {
  let database: TestDatabase;
  let vhost: TestVhost;
  let objects: K8sObject[];
  const pods: Pod[] = [];

  beforeAll(async () => {
    [database, vhost] = await Promise.all([createTestDatabase('baton_helm'), createTestVhost('baton_helm')]);
    // createTestDatabase migrates; empty it again so the Job has real work.
    await database.query('DROP SCHEMA public CASCADE');
    await database.query('CREATE SCHEMA public');
    objects = await template({
      release: 'smoke',
      values: {
        secret: { databaseUrl: database.url, rabbitmqUrl: vhost.url },
        auth: { bootstrapKey: { existingSecret: BOOTSTRAP_SECRET, tenant: BOOTSTRAP_TENANT } },
      },
    });
  });

  afterAll(async () => {
    await Promise.all(pods.map((pod) => pod.process.stop('SIGKILL')));
    await Promise.all([database?.drop(), vhost?.drop()]);
  });

  it('runs the migration Job command to completion, which creates the schema and stores the bootstrap key, hashed, as admin of its tenant', async () => {
    const [job] = containerRuns(objects).filter((run) => run.role === 'migrate');
    const env = { ...imageEnv(), ...resolveEnv(job, objects, external) };
    expect(env.DATABASE_URL).toBe(database.url);
    const child = spawn(process.execPath, [join(ROOT, job.argv[1]), ...job.argv.slice(2)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const migration = new BatonProcess(child, '');
    const exit = await migration.exited;
    expect({ exit, output: migration.logs }).toEqual({ exit: { code: 0, signal: null }, output: expect.stringMatching(/^applied: /m) });
    const [{ count }] = await database.query<{ count: string }>('SELECT count(*) FROM baton_migrations');
    expect(Number(count)).toBeGreaterThan(0);
    const keys = await database.query<{ tenant: string; scopes: string[]; key_hash: string }>('SELECT tenant, scopes, key_hash FROM api_keys');
    expect(keys).toEqual([{ tenant: BOOTSTRAP_TENANT, scopes: ['admin'], key_hash: hashApiKey(BOOTSTRAP_KEY) }]);
  }, 30_000);

  it('starts every API and worker container, whose startup, liveness and readiness probes pass where the chart points them', async () => {
    const runs = containerRuns(objects).filter((run) => run.role !== 'migrate');
    // The API and the default worker groups: workouts, invoices and webhooks (emails is off by default).
    expect(runs.map((run) => run.role).sort()).toEqual(['api', 'worker', 'worker', 'worker']);
    for (const run of runs) {
      const env = { ...imageEnv(), ...resolveEnv(run, objects) };
      expect([env.DATABASE_URL, env.RABBITMQ_URL]).toEqual([database.url, vhost.url]);
      const ports = new Map<number, number>();
      for (const { containerPort } of run.container.ports) {
        const free = await freePort();
        ports.set(containerPort, free);
        // The one variable that tells the app its container port.
        const carriers = Object.keys(env).filter((name) => env[name] === String(containerPort));
        expect({ containerPort, carriers }).toEqual({ containerPort, carriers: [expect.any(String)] });
        env[carriers[0]] = String(free);
      }
      const child = spawn(process.execPath, [join(ROOT, run.argv[1]), ...run.argv.slice(2)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      pods.push({ run, ports, process: new BatonProcess(child, `http://127.0.0.1:${[...ports.values()][0]}`) });
    }

    await Promise.all(
      pods.map(async (pod) => {
        const { startupProbe } = pod.run.container;
        // The kubelet allows periodSeconds x failureThreshold for the start.
        await probeUntilSuccess(pod, 'startupProbe', startupProbe.periodSeconds * startupProbe.failureThreshold * 1000);
        expect(await probeOnce(pod, 'livenessProbe')).toBe(true);
        // Ready once PostgreSQL answers and RabbitMQ is attached.
        await probeUntilSuccess(pod, 'readinessProbe', 30_000);
        // The ServiceMonitor scrapes /metrics on the same port.
        const metrics = await fetch(`${pod.process.url}/metrics`);
        expect(metrics.status).toBe(200);
        expect(await metrics.text()).toContain('# TYPE baton_');
      }),
    );

    // The key the migration Job stored opens the API's /v1 routes for its tenant.
    const api = pods.find((pod) => pod.run.role === 'api')!;
    const job = `${api.process.url}/v1/jobs/00000000-0000-4000-8000-000000000000`;
    expect((await fetch(job)).status).toBe(401);
    expect((await fetch(job, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } })).status).toBe(404);

    // Emails are off by default (the chart sets DISABLED_JOB_TYPES=emails on the API): their route does not
    // exist, while that of a type the API accepts answers an empty body with a validation error.
    const headers = { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' };
    expect((await fetch(`${api.process.url}/v1/emails`, { method: 'POST', headers, body: '{}' })).status).toBe(404);
    expect((await fetch(`${api.process.url}/v1/workouts`, { method: 'POST', headers, body: '{}' })).status).toBe(400);
  }, 90_000);

  it('ends every container on SIGTERM with exit code 0 within its terminationGracePeriodSeconds', async () => {
    expect(pods).toHaveLength(4);
    await Promise.all(
      pods.map(async (pod) => {
        const { terminationGracePeriodSeconds } = podSpecOf(pod.run.workload);
        // The kubelet runs the preStop sleep first, then sends SIGTERM; the
        // grace period covers both. The sleep only waits, so it is counted
        // rather than slept here.
        const preStopSeconds = pod.run.container.lifecycle?.preStop?.sleep?.seconds ?? 0;
        const started = Date.now();
        pod.process.child.kill('SIGTERM');
        if (pod.run.role === 'api') {
          // Not ready from the moment shutdown begins, while it still runs.
          // (The kubelet stops liveness probes once a pod is deleted; terminus
          // answers 503 on /health/live too during shutdown.)
          await waitFor('the API to report not ready', async () => (pod.process.running && !(await probeOnce(pod, 'readinessProbe')) ? true : undefined), 5_000);
        }
        const exit = await pod.process.exited;
        const seconds = (Date.now() - started) / 1000;
        expect({ pod: pod.run.workload.metadata.name, exit }).toEqual({ pod: pod.run.workload.metadata.name, exit: { code: 0, signal: null } });
        expect(preStopSeconds + seconds).toBeLessThan(terminationGracePeriodSeconds);
      }),
    );
  }, 60_000);
});
