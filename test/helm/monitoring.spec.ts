/**
 * The chart's monitoring objects: the PrometheusRule (promtool check rules,
 * and promtool test rules with, for every alert, series that fire it and
 * series that do not), the dashboards' ConfigMaps for Grafana's sidecar,
 * and the KEDA prometheus trigger on the oldest waiting job. That a real
 * Prometheus scraping Baton finds every metric they use is
 * test/e2e/prometheus.e2e-spec.ts.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { Metrics } from '@baton/observability';
import { dashboardQueries, describeWithPrometheus, metricNamesIn, promtool, RuleGroup } from '../support';
import { CHART_DIR, HelmError, K8sObject, named, ofKind, selects, template } from './helm';
import { validateStrictly } from './kube-schema';

const VALUES = parseYaml(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, any>;
const ON = { metrics: { prometheusRule: { enabled: true }, grafanaDashboards: { enabled: true } } };

/** Each alert of the rule, by the key of its values under metrics.prometheusRule.alerts. */
const ALERTS: Record<string, string> = {
  queueGrowing: 'BatonQueueGrowing',
  oldestPending: 'BatonOldestPendingJobTooOld',
  deadLetters: 'BatonDeadLettersRising',
  relayBacklog: 'BatonRelayBacklog',
  queueWithoutConsumers: 'BatonQueueWithoutConsumers',
  jobFailureRatio: 'BatonJobFailureRatioHigh',
  api5xxRatio: 'BatonApi5xxRatioHigh',
  apiLatencyP99: 'BatonApiLatencyP99High',
  targetDown: 'BatonTargetDown',
};

/** Series as the chart's ServiceMonitors label them, in release "baton", namespace "baton". */
const API = 'namespace="baton",job="baton-api",instance="10.0.0.1:3000"';
const WORKER = 'namespace="baton",job="baton-worker-workouts",instance="10.0.0.2:9464"';
/** Another release's API, in another namespace: the rule must not see it. */
const OTHER = 'namespace="other",job="baton-api",instance="10.9.0.1:3000"';

interface Series {
  series: string;
  values: string;
}
interface AlertCase {
  /** Series over 20 minutes, a sample a minute, that fire the alert at the end, with these labels. */
  fires: Series[];
  labels: Record<string, string>;
  /** Series over the same 20 minutes that do not fire it. */
  quiet: Series[];
}

/** For the default thresholds and `for:` of values.yaml. */
const CASES: Record<string, AlertCase> = {
  BatonQueueGrowing: {
    fires: [{ series: `baton_queue_messages{${API},queue="workouts"}`, values: '0+20x20' }],
    labels: { namespace: 'baton', queue: 'workouts', severity: 'warning' },
    quiet: [
      // Long but steady; and a retry queue, which grows while a dependency is away, is no work queue.
      { series: `baton_queue_messages{${API},queue="workouts"}`, values: '400x20' },
      { series: `baton_queue_messages{${API},queue="workouts.retry.1000ms"}`, values: '0+20x20' },
      // Paused by an operator: it grows on purpose.
      { series: `baton_queue_messages{${API},queue="invoices"}`, values: '0+20x20' },
      { series: `baton_queue_paused{${WORKER},queue="invoices"}`, values: '1x20' },
    ],
  },
  BatonOldestPendingJobTooOld: {
    fires: [
      { series: `baton_queue_oldest_pending_seconds{${API},queue="invoices"}`, values: '0+60x20' },
      { series: `baton_queue_oldest_pending_reporter{${API}}`, values: '1x20' },
      // A second replica that does not report: no age series of its own.
      { series: `baton_queue_oldest_pending_reporter{namespace="baton",job="baton-api",instance="10.0.0.3:3000"}`, values: '0x20' },
    ],
    labels: { namespace: 'baton', queue: 'invoices', severity: 'critical' },
    quiet: [
      { series: `baton_queue_oldest_pending_seconds{${API},queue="invoices"}`, values: '30x20' },
      { series: `baton_queue_oldest_pending_seconds{${OTHER},queue="invoices"}`, values: '0+60x20' },
      // Paused by an operator: its jobs age on purpose.
      { series: `baton_queue_oldest_pending_seconds{${API},queue="emails"}`, values: '0+60x20' },
      { series: `baton_queue_paused{${WORKER},queue="emails"}`, values: '1x20' },
    ],
  },
  BatonDeadLettersRising: {
    fires: [{ series: `baton_jobs_dead_total{${WORKER},type="emails"}`, values: '0x10 1+1x10' }],
    labels: { namespace: 'baton', type: 'emails', severity: 'warning' },
    quiet: [{ series: `baton_jobs_dead_total{${WORKER},type="emails"}`, values: '5x20' }],
  },
  BatonRelayBacklog: {
    fires: [{ series: `baton_relay_backlog_jobs{${API}}`, values: '500x20' }],
    labels: { namespace: 'baton', severity: 'warning' },
    quiet: [{ series: `baton_relay_backlog_jobs{${API}}`, values: '50x20' }],
  },
  BatonQueueWithoutConsumers: {
    fires: [
      { series: `baton_queue_consumers{${API},queue="workouts"}`, values: '0x20' },
      { series: `baton_queue_messages{${API},queue="workouts"}`, values: '10x20' },
    ],
    labels: { namespace: 'baton', queue: 'workouts', severity: 'critical' },
    quiet: [
      // Empty and unconsumed (a group KEDA scaled to zero); a dead-letter queue is never consumed.
      { series: `baton_queue_consumers{${API},queue="workouts"}`, values: '0x20' },
      { series: `baton_queue_messages{${API},queue="workouts"}`, values: '0x20' },
      { series: `baton_queue_consumers{${API},queue="workouts.dead"}`, values: '0x20' },
      { series: `baton_queue_messages{${API},queue="workouts.dead"}`, values: '5x20' },
      // Paused by an operator: no consumer on purpose.
      { series: `baton_queue_consumers{${API},queue="invoices"}`, values: '0x20' },
      { series: `baton_queue_messages{${API},queue="invoices"}`, values: '10x20' },
      { series: `baton_queue_paused{${WORKER},queue="invoices"}`, values: '1x20' },
    ],
  },
  BatonJobFailureRatioHigh: {
    fires: [
      { series: `baton_jobs_completed_total{${WORKER},type="workouts"}`, values: '0+10x20' },
      { series: `baton_jobs_failed_total{${WORKER},type="workouts"}`, values: '0+5x20' },
      { series: `baton_jobs_dead_total{${WORKER},type="workouts"}`, values: '0x20' },
    ],
    labels: { namespace: 'baton', type: 'workouts', severity: 'warning' },
    quiet: [
      { series: `baton_jobs_completed_total{${WORKER},type="workouts"}`, values: '0+100x20' },
      { series: `baton_jobs_failed_total{${WORKER},type="workouts"}`, values: '0+1x20' },
      { series: `baton_jobs_dead_total{${WORKER},type="workouts"}`, values: '0x20' },
    ],
  },
  BatonApi5xxRatioHigh: {
    fires: [
      { series: `baton_http_request_duration_seconds_count{${API},method="POST",route="/v1/workouts",status_code="202"}`, values: '0+60x20' },
      { series: `baton_http_request_duration_seconds_count{${API},method="POST",route="/v1/workouts",status_code="503"}`, values: '0+60x20' },
      // Scrapes would dilute the ratio under the threshold, were they counted.
      { series: `baton_http_request_duration_seconds_count{${API},method="GET",route="/metrics",status_code="200"}`, values: '0+6000x20' },
    ],
    labels: { namespace: 'baton', severity: 'critical' },
    quiet: [
      { series: `baton_http_request_duration_seconds_count{${API},method="POST",route="/v1/workouts",status_code="202"}`, values: '0+600x20' },
      { series: `baton_http_request_duration_seconds_count{${API},method="POST",route="/v1/workouts",status_code="503"}`, values: '0+6x20' },
    ],
  },
  BatonApiLatencyP99High: {
    fires: [
      { series: `baton_http_request_duration_seconds_bucket{${API},method="POST",route="/v1/workouts",status_code="202",le="1"}`, values: '0x20' },
      { series: `baton_http_request_duration_seconds_bucket{${API},method="POST",route="/v1/workouts",status_code="202",le="2.5"}`, values: '0+10x20' },
      { series: `baton_http_request_duration_seconds_bucket{${API},method="POST",route="/v1/workouts",status_code="202",le="+Inf"}`, values: '0+10x20' },
    ],
    labels: { namespace: 'baton', severity: 'warning' },
    quiet: [
      { series: `baton_http_request_duration_seconds_bucket{${API},method="POST",route="/v1/workouts",status_code="202",le="0.1"}`, values: '0+10x20' },
      { series: `baton_http_request_duration_seconds_bucket{${API},method="POST",route="/v1/workouts",status_code="202",le="+Inf"}`, values: '0+10x20' },
      // A slow scrape is not a slow API.
      { series: `baton_http_request_duration_seconds_bucket{${API},method="GET",route="/metrics",status_code="200",le="1"}`, values: '0x20' },
      { series: `baton_http_request_duration_seconds_bucket{${API},method="GET",route="/metrics",status_code="200",le="+Inf"}`, values: '0+10x20' },
    ],
  },
  BatonTargetDown: {
    fires: [{ series: `up{${WORKER}}`, values: '0x20' }],
    labels: { namespace: 'baton', job: 'baton-worker-workouts', instance: '10.0.0.2:9464', severity: 'critical' },
    quiet: [
      { series: `up{${WORKER}}`, values: '1x20' },
      { series: `up{namespace="other",job="postgres-exporter",instance="10.9.0.2:9187"}`, values: '0x20' },
    ],
  },
};

/** The metric names a Baton process exposes (histograms with their _bucket, _count and _sum), the API's sampled gauges included. */
async function exportedMetricNames(): Promise<string[]> {
  const metrics = new Metrics();
  metrics.sampleQueues(async () => []);
  metrics.sampleRelayBacklog(async () => 0, async () => 0);
  metrics.sampleOldestPending(() => undefined);
  const families = await metrics.registry.getMetricsAsJSON();
  return families.flatMap(({ name, type }) => (String(type) === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name]));
}

/** The PrometheusRule's groups, as a rule file holds them. */
const ruleGroupsOf = (objects: K8sObject[]): RuleGroup[] => ofKind(objects, 'PrometheusRule')[0].spec.groups;
const alertRules = (objects: K8sObject[]) => ruleGroupsOf(objects).flatMap((group) => group.rules);

/** The dashboards' JSON as the ConfigMaps carry it, by data key. */
const dashboardsOf = (objects: K8sObject[]): Record<string, any> =>
  Object.fromEntries(ofKind(objects, 'ConfigMap').flatMap((map) => Object.entries(map.data ?? {}).filter(([key]) => key.endsWith('.json')).map(([key, text]) => [key, JSON.parse(String(text))])));

describe('the PrometheusRule', () => {
  let objects: K8sObject[];

  beforeAll(async () => {
    objects = await template({ values: ON });
  });

  it('is not rendered by default', async () => {
    expect(ofKind(await template(), 'PrometheusRule')).toEqual([]);
  });

  it('validates strictly as a monitoring.coreos.com/v1 PrometheusRule, with the labels given', async () => {
    const rule = named(objects, 'PrometheusRule', 'baton-alerts');
    validateStrictly(rule);
    const labelled = await template({ values: { metrics: { prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } } } } });
    expect(named(labelled, 'PrometheusRule', 'baton-alerts').metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('has the alerts of the issue, each with a severity, a summary, a description and a runbook', () => {
    const rules = alertRules(objects);
    expect(rules.map((rule) => rule.alert).sort()).toEqual(Object.values(ALERTS).sort());
    for (const rule of rules) {
      expect({ alert: rule.alert, severity: rule.labels?.severity }).toEqual({ alert: rule.alert, severity: expect.stringMatching(/^(warning|critical)$/) });
      for (const annotation of ['summary', 'description', 'runbook']) {
        expect({ alert: rule.alert, annotation, length: (rule.annotations?.[annotation] ?? '').length > 20 }).toEqual({ alert: rule.alert, annotation, length: true });
      }
    }
  });

  it('takes every threshold, for: and severity from values', async () => {
    const alertValues = VALUES.metrics.prometheusRule.alerts as Record<string, Record<string, unknown>>;
    expect(Object.keys(alertValues).sort()).toEqual(Object.keys(ALERTS).sort());
    const changed: Record<string, Record<string, unknown>> = {};
    Object.entries(alertValues).forEach(([key, settings], index) => {
      changed[key] = Object.fromEntries(
        Object.entries(settings).map(([name, value]) => [name, name === 'for' || name === 'window' ? `${index + 3}h` : name === 'severity' ? `sev${index}` : name === 'minMessages' ? 1000 + index : typeof value === 'number' ? 0.001 + index / 100 : value]),
      );
    });
    const rules = alertRules(await template({ values: { metrics: { prometheusRule: { enabled: true, alerts: changed } } } }));
    for (const [key, settings] of Object.entries(changed)) {
      const rule = rules.find((candidate) => candidate.alert === ALERTS[key])!;
      expect({ alert: rule.alert, for: rule.for, severity: rule.labels?.severity }).toEqual({ alert: rule.alert, for: settings.for, severity: settings.severity });
      for (const [name, value] of Object.entries(settings)) {
        if (typeof value === 'number' || name === 'window') expect({ alert: rule.alert, name, inExpr: rule.expr.includes(String(value)) }).toEqual({ alert: rule.alert, name, inExpr: true });
      }
    }
  });

  it('selects the release by its namespace and its ServiceMonitors’ jobs, or by the selector given', async () => {
    for (const rule of alertRules(objects)) expect(rule.expr).toContain('namespace="baton",job=~"baton-api|baton-worker-invoices|baton-worker-webhooks|baton-worker-workouts"');
    // The Prometheus Operator names a target's job after the Service: every Service a ServiceMonitor scrapes, however long its name was and however it was cut.
    const release = `a-release-with-a-name-far-longer-than-usual-${'x'.repeat(8)}`;
    const long = await template({ release, namespace: 'jobs', values: { metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } } } });
    const jobs = /namespace="jobs",job=~"([^"]+)"/.exec(alertRules(long)[0].expr)![1].split('|');
    const scraped = ofKind(long, 'ServiceMonitor').map((monitor) => ofKind(long, 'Service').find((service) => selects(monitor.spec.selector.matchLabels, service.metadata.labels))!.metadata.name);
    expect(scraped.length).toBeGreaterThan(1);
    expect([...jobs].sort()).toEqual([...scraped].sort());
    const custom = alertRules(await template({ values: { metrics: { prometheusRule: { enabled: true, selector: 'cluster="eu1",app="baton"' } } } }));
    for (const rule of custom) {
      expect(rule.expr).toContain('cluster="eu1",app="baton"');
      expect(rule.expr).not.toContain('namespace="baton"');
    }
  });

  it('uses only metrics Baton exports, and Prometheus’s own up', async () => {
    const exported = new Set([...(await exportedMetricNames()), 'up']);
    for (const rule of alertRules(objects)) {
      const names = metricNamesIn(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      expect({ alert: rule.alert, unknown: names.filter((name) => !exported.has(name)) }).toEqual({ alert: rule.alert, unknown: [] });
    }
  });

  describeWithPrometheus('promtool', () => {
    it('check rules passes on the rendered rules', async () => {
      const { code, output } = await promtool(['check', 'rules', 'rules.yaml'], { 'rules.yaml': stringify({ groups: ruleGroupsOf(objects) }) });
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`SUCCESS: ${Object.keys(ALERTS).length} rules found`) });
    });

    it('test rules: every alert fires on its series and stays quiet on the others', async () => {
      expect(Object.keys(CASES).sort()).toEqual(Object.values(ALERTS).sort());
      // promtool compares annotations in full once expanded; the unit tests
      // are about when an alert fires and with which labels, so they run on
      // the rules without them (check rules above parses their templates).
      const groups = ruleGroupsOf(objects).map((group) => ({ ...group, rules: group.rules.map(({ annotations: _annotations, ...rule }) => rule) }));
      const tests = Object.entries(CASES).flatMap(([alertname, { fires, labels, quiet }]) => [
        { name: `${alertname} fires`, interval: '1m', input_series: fires, alert_rule_test: [{ eval_time: '20m', alertname, exp_alerts: [{ exp_labels: labels }] }] },
        { name: `${alertname} stays quiet`, interval: '1m', input_series: quiet, alert_rule_test: [{ eval_time: '20m', alertname, exp_alerts: [] }] },
      ]);
      const { code, output } = await promtool(['test', 'rules', 'tests.yaml'], {
        'rules.yaml': stringify({ groups }),
        'tests.yaml': stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
      });
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
    });

    it('test rules fails when an alert is expected and does not fire (the test can fail)', async () => {
      const { code, output } = await promtool(['test', 'rules', 'tests.yaml'], {
        'rules.yaml': stringify({ groups: ruleGroupsOf(objects) }),
        'tests.yaml': stringify({
          rule_files: ['rules.yaml'],
          evaluation_interval: '1m',
          tests: [{ interval: '1m', input_series: CASES.BatonRelayBacklog.quiet, alert_rule_test: [{ eval_time: '20m', alertname: 'BatonRelayBacklog', exp_alerts: [{ exp_labels: CASES.BatonRelayBacklog.labels }] }] }],
        }),
      });
      expect(code).not.toBe(0);
      expect(output).toContain('FAILED');
    });
  });
});

describe('the Grafana dashboards', () => {
  let objects: K8sObject[];

  beforeAll(async () => {
    objects = await template({ values: ON });
  });

  it('are not rendered by default', async () => {
    expect(ofKind(await template(), 'ConfigMap').filter((map) => map.metadata.labels?.grafana_dashboard)).toEqual([]);
  });

  it('are ConfigMaps labelled grafana_dashboard: "1" for the sidecar, one per dashboard, each validating strictly', () => {
    const maps = ofKind(objects, 'ConfigMap').filter((map) => map.metadata.labels?.['app.kubernetes.io/component'] === 'dashboards');
    expect(maps.map((map) => map.metadata.name).sort()).toEqual(['baton-dashboard-overview', 'baton-dashboard-worker-group']);
    for (const map of maps) {
      validateStrictly(map);
      expect(map.metadata.labels?.grafana_dashboard).toBe('1');
      expect(Object.keys(map.data)).toHaveLength(1);
    }
    expect(Object.keys(dashboardsOf(objects)).sort()).toEqual(['baton-overview.json', 'baton-worker-group.json']);
  });

  it('take the label, its value, the namespace and annotations given', async () => {
    const custom = await template({
      values: { metrics: { grafanaDashboards: { enabled: true, label: 'grafana.com/dashboard', labelValue: 'baton', namespace: 'monitoring', annotations: { 'k8s-sidecar-target-directory': 'Baton' } } } },
    });
    const maps = ofKind(custom, 'ConfigMap').filter((map) => map.metadata.labels?.['app.kubernetes.io/component'] === 'dashboards');
    expect(maps).toHaveLength(2);
    for (const map of maps) {
      validateStrictly(map);
      expect(map.metadata.labels?.['grafana.com/dashboard']).toBe('baton');
      expect(map.metadata.labels?.grafana_dashboard).toBeUndefined();
      expect(map.metadata.namespace).toBe('monitoring');
      expect(map.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'Baton' });
    }
  });

  it('are the JSON files under helm/baton/files/dashboards', () => {
    for (const [key, dashboard] of Object.entries(dashboardsOf(objects))) {
      expect(dashboard).toEqual(JSON.parse(readFileSync(join(CHART_DIR, 'files', 'dashboards', key), 'utf8')));
    }
  });

  it('hold the panels of the issue, on a data source variable, with a unique uid each', () => {
    const dashboards = dashboardsOf(objects);
    const titles = (key: string) => (dashboards[key].panels as any[]).map((panel) => String(panel.title).toLowerCase()).join('\n');
    for (const wanted of ['accepted', 'p99', 'ready messages', 'oldest waiting job', 'in flight', 'completions', 'failures', 'dead', 'relay backlog']) {
      expect(titles('baton-overview.json')).toContain(wanted);
    }
    expect(dashboards['baton-worker-group.json'].templating.list.map((variable: any) => variable.name)).toContain('group');
    expect(new Set(Object.values(dashboards).map((dashboard) => dashboard.uid)).size).toBe(2);
    for (const dashboard of Object.values(dashboards)) {
      for (const panel of dashboard.panels) {
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.targets.length).toBeGreaterThan(0);
      }
    }
  });

  it('query only metrics Baton exports, and Prometheus’s own up', async () => {
    const exported = new Set([...(await exportedMetricNames()), 'up']);
    for (const [key, dashboard] of Object.entries(dashboardsOf(objects))) {
      for (const query of dashboardQueries(dashboard)) {
        const names = metricNamesIn(query);
        expect(names.length).toBeGreaterThan(0);
        expect({ key, query, unknown: names.filter((name) => !exported.has(name)) }).toEqual({ key, query, unknown: [] });
      }
    }
  });
});

describe('the KEDA trigger on the oldest waiting job', () => {
  const withTrigger = (group: Record<string, unknown>, oldestPending: Record<string, unknown>) => ({
    workers: { workouts: { autoscaling: { keda: { enabled: true, oldestPending: { enabled: true, ...oldestPending } } } }, ...group },
  });

  it('is a prometheus trigger beside the queue-length one, on the max age over the group’s job types', async () => {
    const objects = await template({ valuesFiles: ['monitoring-values.yaml'] });
    const scaled = named(objects, 'ScaledObject', 'baton-worker-workouts');
    validateStrictly(scaled);
    expect(scaled.spec.triggers.map((trigger: any) => trigger.type)).toEqual(['rabbitmq', 'prometheus']);
    expect(scaled.spec.triggers[1].metadata).toEqual({
      serverAddress: 'http://prometheus-operated.monitoring:9090',
      query:
        'max(baton_queue_oldest_pending_seconds{namespace="baton",job=~"baton-api|baton-worker-invoices|baton-worker-webhooks|baton-worker-workouts",queue=~"workouts"} unless on(queue) (max by (queue) (baton_queue_paused{namespace="baton",job=~"baton-api|baton-worker-invoices|baton-worker-webhooks|baton-worker-workouts"}) == 1))',
      threshold: '60',
      activationThreshold: '0',
    });
  });

  describeWithPrometheus('promtool', () => {
    it('leaves a paused queue out: its age drives no scaling while an operator holds it', async () => {
      const objects = await template({ valuesFiles: ['monitoring-values.yaml'] });
      const expr = named(objects, 'ScaledObject', 'baton-worker-workouts').spec.triggers[1].metadata.query;
      const age = { series: `baton_queue_oldest_pending_seconds{${API},queue="workouts"}`, values: '120x5' };
      const paused = (value: number) => ({ series: `baton_queue_paused{${WORKER},queue="workouts"}`, values: `${value}x5` });
      const tests = [
        { name: 'running', interval: '1m', input_series: [age, paused(0)], promql_expr_test: [{ expr, eval_time: '5m', exp_samples: [{ labels: '{}', value: 120 }] }] },
        { name: 'paused', interval: '1m', input_series: [age, paused(1)], promql_expr_test: [{ expr, eval_time: '5m', exp_samples: [] }] },
        { name: 'no worker reports yet', interval: '1m', input_series: [age], promql_expr_test: [{ expr, eval_time: '5m', exp_samples: [{ labels: '{}', value: 120 }] }] },
      ];
      const { code, output } = await promtool(['test', 'rules', 'tests.yaml'], { 'tests.yaml': stringify({ rule_files: [], evaluation_interval: '1m', tests }) });
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
    });
  });

  it('leaves webhooks out of a group’s query, and takes the query given', async () => {
    const both = await template({ values: withTrigger({ workouts: { queues: ['workouts', 'invoices', 'webhooks'], autoscaling: { keda: { enabled: true, oldestPending: { enabled: true, serverAddress: 'http://prometheus:9090' } } } } }, {}) });
    expect(named(both, 'ScaledObject', 'baton-worker-workouts').spec.triggers.at(-1).metadata.query).toContain('queue=~"workouts|invoices"');
    const own = await template({ values: withTrigger({}, { serverAddress: 'http://prometheus:9090', query: 'max(my_age)' }) });
    expect(named(own, 'ScaledObject', 'baton-worker-workouts').spec.triggers.at(-1).metadata.query).toBe('max(my_age)');
  });

  it('is off by default: the queue-length triggers alone', async () => {
    const objects = await template({ valuesFiles: ['keda-values.yaml'] });
    for (const scaled of ofKind(objects, 'ScaledObject')) expect(scaled.spec.triggers.map((trigger: any) => trigger.type)).not.toContain('prometheus');
  });

  it.each([
    ['without a Prometheus address', withTrigger({}, {}), /oldestPending needs serverAddress/],
    [
      'on a group that consumes only webhooks, without a query',
      { workers: { webhooks: { autoscaling: { keda: { enabled: true, oldestPending: { enabled: true, serverAddress: 'http://prometheus:9090' } } } } } },
      /consumes no job type's queue/,
    ],
  ])('is refused %s', async (_what, values, message) => {
    const error = await template({ values }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(HelmError);
    expect((error as HelmError).stderr).toMatch(message);
  });
});
