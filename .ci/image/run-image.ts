/**
 * Runs the built image (IMAGE, baton:ci by default) as the Helm chart runs
 * it, end to end, against this machine's PostgreSQL and RabbitMQ (a database
 * and a vhost of this run's own), a test SMTP server and a webhook receiver
 * on this machine:
 *
 *   1. renders the chart (emails and plain-http webhooks to 127.0.0.1 on, the
 *      URLs pointed at this run's database, vhost and SMTP server);
 *   2. runs the migration Job's container to completion;
 *   3. starts the API's and every worker group's container, each with the
 *      chart's security context (docker: --read-only, --user, --cap-drop
 *      ALL, no-new-privileges), environment, args and memory limit, on the
 *      host's network; the port a container would listen on in its own pod
 *      is moved to a free one (every worker group uses 9464), through the
 *      one variable that carries it, and the probes follow;
 *   4. waits for each startup probe within periodSeconds x failureThreshold,
 *      then the liveness and readiness probes, and /metrics;
 *   5. creates an admin key with the keys CLI, run in the API's container
 *      as docs/kubernetes.md says (`kubectl exec ... keys create`);
 *   6. through the API: a webhook endpoint on the receiver, a workout, an
 *      invoice for a Polish customer with a Greek line (its PDF downloaded
 *      and read with pdftotext), an email; each job must complete, the mail
 *      arrive and a job.completed delivery reach the receiver for each;
 *   7. `docker stop -t <grace>` of every container, grace being the pod's
 *      terminationGracePeriodSeconds less its preStop sleep (the kubelet
 *      counts the sleep in the grace period); each must exit 0 by itself.
 *
 * Everything it made is removed at the end, passed or failed; it prints how
 * long each part took. Run by .ci/image/run, which builds the image first.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { K8sObject, podSpecOf, template } from '../../test/helm/helm';
import { ContainerRun, containerRuns, probeOnce, ProbeName, resolveEnv } from '../../test/helm/pods';
import { invoiceBody, workoutBody } from '../../test/support/fixtures';
import { welcomeEmailBody } from '../../test/support/email-fixtures';
import { freePort } from '../../test/support/processes';
import { createTestDatabase, createTestVhost, TestDatabase, TestVhost } from '../../test/support/services';
import { TestSmtpServer } from '../../test/support/smtp-server';
import { waitFor } from '../../test/support/wait-for';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import { docker, dockerRunArgs } from './chart-containers';

const IMAGE = process.env.IMAGE ?? 'baton:ci';
// .ci/image/run passes its own, to remove this run's containers even if this process is killed.
const RUN_ID = process.env.IMAGE_RUN_ID ?? `${process.pid}-${Date.now().toString(36)}`;
const LABEL = `baton-ci-image=${RUN_ID}`;
const TENANT = 'ci';
const POLISH_NAME = 'Łukasz Żółć';
const GREEK_NAME = 'Αλέξανδρος Παπαδόπουλος';
const JOB_TIMEOUT_MS = 120_000;

const timings: Array<{ part: string; seconds: number }> = [];
async function part<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  console.log(`-- ${name}`);
  try {
    return await work();
  } finally {
    timings.push({ part: name, seconds: (Date.now() - started) / 1000 });
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

interface Container {
  run: ContainerRun;
  name: string;
  /** Container port -> the port it listens on here. */
  ports: Map<number, number>;
}

const hostPort = (container: Container) => (containerPort: number) => {
  const port = container.ports.get(containerPort);
  if (port === undefined) throw new Error(`${container.name}: a probe targets port ${containerPort}, which the container does not declare`);
  return port;
};

async function logsOf(name: string): Promise<string> {
  return new Promise((resolve) => execFile('docker', ['logs', '--tail', '60', name], (_, stdout, stderr) => resolve(`${stdout}${stderr}`)));
}

/** The environment the kubelet would build, with each declared container port moved to a free port through the one variable set to it. */
async function containerEnv(run: ContainerRun, objects: K8sObject[]): Promise<{ env: Record<string, string>; ports: Map<number, number> }> {
  const env = resolveEnv(run, objects);
  const ports = new Map<number, number>();
  for (const { containerPort } of run.container.ports ?? []) {
    const carriers = Object.keys(env).filter((name) => env[name] === String(containerPort));
    check(carriers.length === 1, `${run.workload.metadata.name}: port ${containerPort} is carried by ${carriers.length} variables (${carriers.join(', ')}), not one`);
    const port = await freePort();
    env[carriers[0]] = String(port);
    ports.set(containerPort, port);
  }
  return { env, ports };
}

async function probeUntil(container: Container, probeName: ProbeName, budgetMs: number): Promise<void> {
  await waitFor(
    `${probeName} of ${container.name}`,
    async () => {
      const state = (await docker(['inspect', '-f', '{{.State.Running}}', container.name])).trim();
      if (state !== 'true') throw new Error(`${container.name} is not running:\n${await logsOf(container.name)}`);
      return (await probeOnce(container.run.container, probeName, hostPort(container))) ? true : undefined;
    },
    budgetMs,
    200,
  );
}

/** The pod's grace period for SIGTERM: terminationGracePeriodSeconds less the preStop sleep the kubelet runs first. */
function sigtermGraceSeconds(run: ContainerRun): number {
  const preStop = run.container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  return podSpecOf(run.workload).terminationGracePeriodSeconds - preStop;
}

/**
 * What the chart assumes of the image: it runs the image's user (the pod's
 * runAsUser:runAsGroup), keeps its ENTRYPOINT (tini; the chart sets args
 * only), its args are paths relative to the image's WORKDIR, and the ports
 * the containers declare are those the image exposes.
 */
async function imageAgreesWithChart(runs: ContainerRun[]): Promise<void> {
  const config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', IMAGE]));
  const exposed = Object.keys(config.ExposedPorts ?? {}).sort();
  for (const run of runs) {
    const where = run.workload.metadata.name;
    const pod = podSpecOf(run.workload).securityContext ?? {};
    const context = { ...pod, ...(run.container.securityContext ?? {}) };
    check(run.container.image === IMAGE, `${where} runs image ${run.container.image}, not ${IMAGE}`);
    check(config.User === `${context.runAsUser}:${context.runAsGroup}`, `${where} runs as ${context.runAsUser}:${context.runAsGroup}, the image as ${config.User}`);
    check(JSON.stringify(config.Entrypoint) === JSON.stringify(['/usr/bin/tini', '--']) && !run.container.command, `${where}: tini must stay the entrypoint (image: ${JSON.stringify(config.Entrypoint)})`);
    check(config.WorkingDir === '/app' && !run.container.workingDir, `${where}: the args are relative to /app (image WORKDIR ${config.WorkingDir})`);
    for (const { containerPort } of run.container.ports ?? []) check(exposed.includes(`${containerPort}/tcp`), `${where} declares port ${containerPort}, which the image does not expose (${exposed.join(', ')})`);
  }
}

async function main(): Promise<void> {
  // test/support's services helpers serve the services mode alone, which this run is.
  process.env.BATON_TEST_MODE = 'services';
  let database: TestDatabase | undefined;
  let vhost: TestVhost | undefined;
  let smtp: TestSmtpServer | undefined;
  let receiver: WebhookReceiver | undefined;
  const containers: Container[] = [];
  try {
    const objects = await part('database, vhost, SMTP server, webhook receiver, chart render', async () => {
      [database, vhost, smtp, receiver] = await Promise.all([
        createTestDatabase('baton_image', { migrate: false }),
        createTestVhost('baton_image'),
        TestSmtpServer.start(),
        WebhookReceiver.start(),
      ]);
      return template({
        release: 'ci',
        values: {
          image: { repository: IMAGE.split(':')[0], tag: IMAGE.split(':')[1] ?? 'latest' },
          secret: { databaseUrl: database.url, rabbitmqUrl: vhost.url },
          emails: { enabled: true, from: 'Baton CI <ci@example.com>', smtp: { url: smtp.url } },
          webhooks: { allowHttp: true, allowedHosts: ['127.0.0.1'] },
        },
      });
    });
    const runs = containerRuns(objects);
    await part('image and chart agree: user, entrypoint, working directory, ports', () => imageAgreesWithChart(runs));

    await part('migration Job', async () => {
      const [job] = runs.filter((run) => run.role === 'migrate');
      check(job, 'the chart renders no migration Job');
      const name = `baton-ci-${RUN_ID}-migrate`;
      const env = resolveEnv(job, objects);
      let output = '';
      try {
        output = await docker(dockerRunArgs({ run: job, image: IMAGE, name, label: LABEL, env, detach: false }));
      } catch (error) {
        throw new Error(`the migration failed: ${(error as Error).message}\n${await logsOf(name)}`);
      }
      const exitCode = (await docker(['inspect', '-f', '{{.State.ExitCode}}', name])).trim();
      check(exitCode === '0', `the migration exited ${exitCode}`);
      check(/^applied: /m.test(output + (await logsOf(name))), `the migration applied nothing:\n${output}`);
      await docker(['rm', name]);
    });

    await part('API and worker containers: start, startup, liveness and readiness probes', async () => {
      const processes = runs.filter((run) => run.role !== 'migrate');
      const groups = processes.filter((run) => run.role === 'worker').map((run) => run.workload.metadata.name);
      console.log(`   API and ${groups.length} worker groups: ${groups.join(', ')}`);
      for (const run of processes) {
        const { env, ports } = await containerEnv(run, objects);
        const container: Container = { run, name: `baton-ci-${RUN_ID}-${run.workload.metadata.name}`, ports };
        await docker(dockerRunArgs({ run, image: IMAGE, name: container.name, label: LABEL, env, detach: true }));
        containers.push(container);
      }
      await Promise.all(
        containers.map(async (container) => {
          const { startupProbe } = container.run.container;
          await probeUntil(container, 'startupProbe', startupProbe.periodSeconds * startupProbe.failureThreshold * 1000);
          check(await probeOnce(container.run.container, 'livenessProbe', hostPort(container)), `${container.name}: liveness probe failed after the startup probe passed`);
          await probeUntil(container, 'readinessProbe', 30_000);
          const metrics = await fetch(`http://127.0.0.1:${[...container.ports.values()][0]}/metrics`);
          check(metrics.status === 200 && (await metrics.text()).includes('# TYPE baton_'), `${container.name}: /metrics answered ${metrics.status}`);
        }),
      );
    });

    const api = containers.find((container) => container.run.role === 'api');
    check(api, 'the chart renders no API');
    const apiUrl = `http://127.0.0.1:${[...api.ports.values()][0]}`;

    const key = await part('keys CLI (docker exec in the API container)', async () => {
      const stdout = await docker(['exec', api.name, 'node', 'dist/apps/cli/src/main.js', 'keys', 'create', '--tenant', TENANT, '--scope', 'admin', '--name', 'image-ci']);
      const created = stdout.trim();
      check(/^\S{32,256}$/.test(created), `keys create printed no key: ${stdout}`);
      return created;
    });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any; bytes: Buffer; type: string | null }> => {
      const response = await fetch(`${apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const bytes = Buffer.from(await response.arrayBuffer());
      const type = response.headers.get('content-type');
      return { status: response.status, bytes, type, body: type?.includes('json') ? JSON.parse(bytes.toString('utf8')) : undefined };
    };
    const submit = async (path: string, body: unknown): Promise<string> => {
      const answer = await call('POST', path, body);
      check(answer.status === 202, `POST ${path} answered ${answer.status}: ${answer.bytes.toString('utf8')}`);
      return answer.body.jobId;
    };
    const finished = (jobId: string) =>
      waitFor(
        `job ${jobId} to finish`,
        async () => {
          const { body } = await call('GET', `/v1/jobs/${jobId}`);
          return ['completed', 'dead', 'cancelled'].includes(body?.status) ? body : undefined;
        },
        JOB_TIMEOUT_MS,
        200,
      );

    await part('end to end: webhook endpoint, workout, invoice (PDF), email', async () => {
      const endpoint = await call('POST', '/v1/webhook-endpoints', { url: receiver!.url('/baton'), events: ['job.completed'] });
      check(endpoint.status === 201, `POST /v1/webhook-endpoints answered ${endpoint.status}: ${endpoint.bytes.toString('utf8')}`);

      const customer = { name: POLISH_NAME, email: 'lukasz@example.com', address: 'ul. Źródlana 5, Łódź' };
      const lines = [{ description: `Consulting for ${GREEK_NAME}`, quantity: 1, unitPriceCents: 12000 }];
      const [workoutJob, invoiceJob, emailJob] = await Promise.all([
        submit('/v1/workouts', workoutBody()),
        submit('/v1/invoices', invoiceBody({ customer, lines })),
        submit('/v1/emails', welcomeEmailBody({ name: POLISH_NAME }, { to: 'lukasz@example.com' })),
      ]);
      const jobs = await Promise.all([workoutJob, invoiceJob, emailJob].map(finished));
      for (const job of jobs) check(job.status === 'completed', `job ${job.id} (${job.type}) ended ${job.status}: ${JSON.stringify(job.lastError ?? job.attempts ?? job)}`);

      const invoiceId = String(jobs[1].result?.invoiceId);
      const pdf = await call('GET', `/v1/invoices/${invoiceId}/pdf`);
      check(pdf.status === 200 && pdf.type?.includes('application/pdf'), `GET /v1/invoices/${invoiceId}/pdf answered ${pdf.status} ${pdf.type}`);
      const text = await new Promise<string>((resolve, reject) => {
        const child = execFile('pdftotext', ['-enc', 'UTF-8', '-', '-'], { encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
        child.stdin!.end(pdf.bytes);
      });
      for (const name of [POLISH_NAME, GREEK_NAME]) check(text.includes(name), `the invoice PDF does not render ${name}; pdftotext read:\n${text}`);

      const [mail] = await smtp!.waitForMessages(1, JOB_TIMEOUT_MS);
      check(mail.envelope.to.includes('lukasz@example.com'), `the email went to ${mail.envelope.to.join(', ')}`);
      check((mail.text ?? '').includes(POLISH_NAME), `the email does not carry ${POLISH_NAME}`);

      await waitFor('a job.completed delivery of each job', () => (jobs.every((job) => receiver!.requestsTo('/baton').some((hook) => hook.body.includes(job.id))) ? true : undefined), JOB_TIMEOUT_MS, 200);
      const signed = receiver!.requestsTo('/baton').every((hook) => typeof hook.headers['webhook-signature'] === 'string');
      check(signed, 'a webhook delivery came unsigned');
      console.log(`   jobs completed: ${jobs.map((job) => job.type).join(', ')}; PDF of ${pdf.bytes.length} bytes renders both names; 1 email; ${receiver!.received.length} webhook deliveries`);
    });

    await part('docker stop -t <grace> of every container: exit code 0', async () => {
      await Promise.all(
        containers.map(async (container) => {
          const grace = sigtermGraceSeconds(container.run);
          const started = Date.now();
          await docker(['stop', '-t', String(grace), container.name]);
          const seconds = (Date.now() - started) / 1000;
          const [exitCode, oomKilled] = (await docker(['inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', container.name])).trim().split(' ');
          console.log(`   ${container.name}: exit ${exitCode} after ${seconds.toFixed(1)} s (grace ${grace} s)`);
          check(exitCode === '0' && oomKilled === 'false', `${container.name} exited ${exitCode} (OOM killed: ${oomKilled}) on docker stop -t ${grace}:\n${await logsOf(container.name)}`);
        }),
      );
    });
  } catch (error) {
    for (const container of containers) console.error(`--- ${container.name} (last lines) ---\n${await logsOf(container.name)}`);
    throw error;
  } finally {
    await part('clean-up: containers, database, vhost', async () => {
      const ids = (await docker(['ps', '-aq', '--filter', `label=${LABEL}`])).split(/\s+/).filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', ...ids]);
      await Promise.all([database?.drop(), vhost?.drop(), smtp?.close(), receiver?.close()]);
    });
    console.log('\n-- image run, part by part');
    for (const { part: name, seconds } of timings) console.log(`${name.padEnd(84)} ${seconds.toFixed(1).padStart(6)} s`);
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`\nimage run failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
