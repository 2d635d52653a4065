/**
 * A real Prometheus (Debian's prometheus package), started by the test on a
 * loopback port, scrapes a running API and worker (in embedded mode the one
 * standalone process, under both jobs) with the chart's rules loaded:
 * every metric the rules and the dashboards use is there, every panel's
 * query runs, and with the workers stopped and a job queued, the age of the
 * oldest waiting job grows with the clock and its alert fires.
 */
import {
  batonEnv,
  BatonProcess,
  createTestBroker,
  createTestDatabase,
  dashboardQueries,
  describeWithPrometheus,
  getJson,
  jobIdOf,
  metricNamesIn,
  postJson,
  PrometheusServer,
  RuleGroup,
  startBaton,
  startStandalone,
  TestDatabase,
  testMode,
  TestVhost,
  waitFor,
  workoutBody,
} from '../support';
import { K8sObject, ofKind, named, template } from '../helm/helm';

/** The labels the chart's ServiceMonitors give: the namespace, and the job named after each Service. */
const NAMESPACE = 'baton';
const API_JOB = 'baton-api';
const WORKER_JOB = 'baton-worker-workouts';
/** Short, so that the alert fires within seconds of its job waiting. */
const OLDEST_PENDING_THRESHOLD_SECONDS = 3;
const QUEUE_AGE_REFRESH_MS = 250;

const hostOf = (url: string) => new URL(url).host;

/** A dashboard query as Grafana would send it, its variables given values; a label_values() variable as the query it stands for. */
function asPromQl(query: string): string {
  const variable = /^label_values\((.+),\s*([a-zA-Z_]+)\)$/.exec(query);
  const expr = variable ? `count by (${variable[2]}) (${variable[1]})` : query;
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$namespace', NAMESPACE).replaceAll('$group', WORKER_JOB);
}

describeWithPrometheus('a real Prometheus scraping Baton', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let env: Record<string, string>;
  let api: BatonProcess;
  let processes: BatonProcess[] = [];
  let objects: K8sObject[];
  let prometheus: PrometheusServer | undefined;

  const ruleGroups = (): RuleGroup[] => ofKind(objects, 'PrometheusRule')[0].spec.groups;
  const dashboards = (): any[] => ofKind(objects, 'ConfigMap').flatMap((map) => Object.entries(map.data ?? {}).filter(([key]) => key.endsWith('.json')).map(([, text]) => JSON.parse(String(text))));

  async function completeWorkout(): Promise<void> {
    const response = await postJson(`${api.url}/v1/workouts`, workoutBody());
    expect(response.status).toBe(202);
    const jobId = await jobIdOf(response);
    await waitFor('the workout to complete', async () => ((await getJson(`${api.url}/v1/jobs/${jobId}`)).body.status === 'completed' ? true : undefined));
  }

  /** Resolves once Prometheus has scraped every target after this moment. */
  async function scrapedFromNowOn(): Promise<void> {
    const since = Date.now();
    await waitFor('Prometheus to scrape every target', () => prometheus!.scrapedSince(since).then((done) => done || undefined), 20_000, 200);
  }

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestBroker()]);
    env = { ...batonEnv(db, vhost), QUEUE_AGE_REFRESH_MS: String(QUEUE_AGE_REFRESH_MS) };
    ({ api, processes } = await startBaton(env));
    objects = await template({
      values: {
        metrics: {
          prometheusRule: { enabled: true, alerts: { oldestPending: { thresholdSeconds: OLDEST_PENDING_THRESHOLD_SECONDS, for: '2s' } } },
          grafanaDashboards: { enabled: true },
        },
        workers: { workouts: { autoscaling: { keda: { enabled: true, oldestPending: { enabled: true, serverAddress: 'http://prometheus:9090' } } } } },
      },
    });
    const target = (job: string, process: BatonProcess) => ({ job, target: hostOf(process.url), labels: { namespace: NAMESPACE } });
    const worker = processes[processes.length - 1];
    prometheus = await PrometheusServer.start({ jobs: [target(API_JOB, api), target(WORKER_JOB, worker)], ruleGroups: ruleGroups(), interval: '1s' });
    // Jobs run, so that the histograms and per-type gauges that appear with a first job are there.
    for (let done = 0; done < 3; done++) await completeWorkout();
    // rate() needs two samples of a series in its window: two scrapes after the jobs, of every target.
    await scrapedFromNowOn();
    await scrapedFromNowOn();
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(processes.map((child) => child.stop()));
    await Promise.all([db?.drop(), vhost?.drop()]);
  }, 60_000);

  it('holds every metric the rules and the dashboards use', async () => {
    const used = new Set([...ruleGroups().flatMap((group) => group.rules.flatMap((rule) => metricNamesIn(rule.expr))), ...dashboards().flatMap((dashboard) => dashboardQueries(dashboard).flatMap(metricNamesIn))]);
    expect(used.size).toBeGreaterThan(15);
    const present = new Set(await prometheus!.metricNames());
    expect([...used].filter((name) => !present.has(name))).toEqual([]);
  });

  it('runs every panel and variable query of the dashboards without error, each finding series', async () => {
    const queries = dashboards().flatMap(dashboardQueries);
    expect(queries.length).toBeGreaterThan(20);
    for (const query of queries) {
      const answer = await prometheus!.query(asPromQl(query));
      expect({ query, status: answer.status, error: answer.error }).toEqual({ query, status: 'success', error: undefined });
      expect({ query: asPromQl(query), found: (answer.data?.result.length ?? 0) > 0 }).toEqual({ query: asPromQl(query), found: true });
    }
  });

  it('runs every alert expression, and the KEDA trigger’s default query, which answers one number', async () => {
    for (const rule of ruleGroups().flatMap((group) => group.rules)) {
      const answer = await prometheus!.query(rule.expr);
      expect({ alert: rule.alert, status: answer.status, error: answer.error }).toEqual({ alert: rule.alert, status: 'success', error: undefined });
    }
    const trigger = named(objects, 'ScaledObject', 'baton-worker-workouts').spec.triggers.find((candidate: any) => candidate.type === 'prometheus');
    const answer = await prometheus!.query(trigger.metadata.query);
    expect(answer.status).toBe('success');
    expect(answer.data!.result).toHaveLength(1);
    expect(Number(answer.data!.result[0].value![1])).toBe(0);
  });

  it('with the workers stopped and a job queued: the oldest-pending gauge grows at least as fast as the clock, and the alert fires', async () => {
    expect(Number((await prometheus!.query('max(baton_queue_oldest_pending_reporter)')).data!.result[0].value![1])).toBe(1);
    if (testMode() === 'services') {
      for (const worker of processes.filter((child) => child !== api)) await worker.stop();
    } else {
      // One process is API and workers: it comes back on the same port, consuming no job type's queue.
      await api.stop();
      api = await startStandalone({ ...env, PORT: String(new URL(api.url).port), WORKER_QUEUES: 'webhooks' });
      processes = [api];
    }
    const response = await postJson(`${api.url}/v1/workouts`, workoutBody());
    expect(response.status).toBe(202);
    // The job was created before this moment: its age at any later time t is at least t - queuedBy.
    const queuedBy = Date.now() / 1000;

    const alert = await waitFor(
      'BatonOldestPendingJobTooOld to fire for workouts',
      async () => (await prometheus!.alerts()).find((candidate) => candidate.labels.alertname === 'BatonOldestPendingJobTooOld' && candidate.labels.queue === 'workouts' && candidate.state === 'firing'),
      30_000,
      200,
    );
    expect(alert.labels).toEqual(expect.objectContaining({ namespace: NAMESPACE, severity: 'critical' }));
    expect(alert.annotations.summary).toContain('workouts');
    expect(alert.annotations.runbook.length).toBeGreaterThan(100);
    expect(Number(alert.value)).toBeGreaterThan(OLDEST_PENDING_THRESHOLD_SECONDS);

    // The samples Prometheus scraped since the job was queued, once a read had seen it.
    const raw = await prometheus!.query('baton_queue_oldest_pending_seconds{queue="workouts"}[1m]');
    const samples = raw.data!.result.flatMap((series) => series.values!.map(([at, value]) => ({ at, age: Number(value) }))).filter(({ at, age }) => at > queuedBy && age > 0);
    samples.sort((a, b) => a.at - b.at);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const { at, age } of samples) expect({ at, age, atLeast: age >= at - queuedBy - 0.1 }).toEqual({ at, age, atLeast: true });
    for (let index = 1; index < samples.length; index++) {
      const [before, after] = [samples[index - 1], samples[index]];
      expect({ after: after.at, grew: after.age - before.age >= after.at - before.at - 0.1 }).toEqual({ after: after.at, grew: true });
    }
  }, 60_000);
});
