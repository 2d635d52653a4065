/**
 * Prometheus for the tests: Debian's `prometheus` package (`.ci/run`
 * installs it) brings `promtool` and the server. A test starts a server of
 * its own on a free loopback port, with a scrape configuration and rule
 * files it writes, and reads it back over the HTTP API.
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeWithProgram } from './mode';
import { freePort } from './processes';
import { waitFor } from './wait-for';

const INSTALL_HINT = 'install Debian\'s prometheus package: apt-get install -y --no-install-recommends prometheus';

/** Whether `prometheus` and `promtool` are both on PATH. */
export function hasPrometheus(): boolean {
  return ['prometheus', 'promtool'].every((program) => !spawnSync(program, ['--version'], { stdio: 'ignore' }).error);
}

/** describe() for tests that run Prometheus or promtool: they fail without them in services mode, and are skipped, said so, in embedded mode. */
export function describeWithPrometheus(name: string, body: () => void): void {
  describeWithProgram(hasPrometheus(), 'Prometheus', `prometheus and promtool are not on PATH (${INSTALL_HINT})`, name, () => {
    beforeAll(() => {
      if (!hasPrometheus()) throw new Error(`prometheus and promtool must be on PATH: ${INSTALL_HINT}`);
    });
    body();
  });
}

export interface PromtoolRun {
  code: number;
  output: string;
}

/** Runs promtool on files in a scratch directory: `files` are written there by name, and `args` name them. */
export function promtool(args: string[], files: Record<string, string>): Promise<PromtoolRun> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-promtool-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return new Promise<PromtoolRun>((resolve) => {
    execFile('promtool', args, { cwd: dir }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0, output: `${stdout}${stderr}` });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** A rule group as Prometheus's rule files (and a PrometheusRule's spec.groups) hold it. */
export interface RuleGroup {
  name: string;
  rules: Array<{ alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }>;
}

export interface ScrapeJob {
  job: string;
  /** host:port */
  target: string;
  /** Labels every series of the target gets, as Kubernetes service discovery would add (namespace). */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  jobs: ScrapeJob[];
  ruleGroups?: RuleGroup[];
  /** Scrape and rule evaluation interval. */
  interval?: string;
}

/** What the HTTP API answers to a query: a vector of series, or an error. */
export interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> };
}

/** A Prometheus server of the test's own, on loopback. */
export class PrometheusServer {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk) => (this.output += chunk));
    child.stderr?.on('data', (chunk) => (this.output += chunk));
  }

  static async start(options: PrometheusOptions): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'baton-prometheus-'));
    const interval = options.interval ?? '1s';
    const ruleFiles = options.ruleGroups ? ['rules.yaml'] : [];
    if (options.ruleGroups) writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: options.ruleGroups }));
    writeFileSync(
      join(dir, 'prometheus.yaml'),
      stringify({
        global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
        rule_files: ruleFiles,
        scrape_configs: options.jobs.map(({ job, target, labels }) => ({ job_name: job, static_configs: [{ targets: [target], labels: labels ?? {} }] })),
      }),
    );
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yaml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`);
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    await waitFor(
      'Prometheus to be ready',
      async () => {
        if (spawnError) throw new Error(`prometheus could not start: ${spawnError.message}`);
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${server.output}`);
        return (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok ? true : undefined;
      },
      30_000,
      100,
    );
    return server;
  }

  get logs(): string {
    return this.output;
  }

  /** An instant query, at `time` (Unix seconds) or now; the answer as given, errors included. */
  async query(expr: string, time?: number): Promise<QueryAnswer> {
    const params = new URLSearchParams({ query: expr, ...(time === undefined ? {} : { time: String(time) }) });
    return (await fetch(`${this.url}/api/v1/query?${params}`)).json() as Promise<QueryAnswer>;
  }

  /** Every metric name Prometheus holds a series of. */
  async metricNames(): Promise<string[]> {
    return ((await (await fetch(`${this.url}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data;
  }

  /** The alerts pending or firing now. */
  async alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; state: string; value: string }>> {
    return ((await (await fetch(`${this.url}/api/v1/alerts`)).json()) as { data: { alerts: any[] } }).data.alerts;
  }

  /** Whether every target has been scraped successfully at least once since `since` (Unix ms). */
  async scrapedSince(since: number): Promise<boolean> {
    const { data } = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: Array<{ health: string; lastScrape: string }> } };
    return data.activeTargets.length > 0 && data.activeTargets.every((target) => target.health === 'up' && Date.parse(target.lastScrape) > since);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The metric names a PromQL expression selects: every name before a `{`
 * (Baton's queries always give a selector), and the metric of a Grafana
 * `label_values(metric, label)` variable.
 */
export function metricNamesIn(expr: string): string[] {
  const names = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((match) => match[1]);
  const variables = [...expr.matchAll(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map((match) => match[1]);
  return [...new Set([...names, ...variables])];
}

/** Every query of a Grafana dashboard: its panels' targets and its query variables. */
export function dashboardQueries(dashboard: any): string[] {
  const panels = (dashboard.panels as any[]).flatMap((panel) => (panel.targets as any[]).map((target) => String(target.expr)));
  const variables = (dashboard.templating.list as any[]).filter((variable) => variable.type === 'query').map((variable) => String(variable.query.query ?? variable.query));
  return [...panels, ...variables];
}
