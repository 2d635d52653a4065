import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { JobSearch } from '../../libs/persistence/src';
import { absolute, BenchRow, BenchSizes } from '../support/bench-row';
import { BenchWorld } from '../support/bench-world';
import { figure, percentile } from '../support/stats';

// Baton's own repository as built (npm run bench builds first): the very statements the dashboard runs.
const persistence = require('../../dist/libs/persistence/src') as typeof import('../../libs/persistence/src');
const { JobStatus, JobType } = require('../../dist/libs/contracts/src') as typeof import('../../libs/contracts/src');

const SCENARIO = '10. dashboard search';
/** The dashboard's page size (docs/dashboard.md, "Job list and search"). */
const PAGE = 20;
const WARM_UP_RUNS = 5;
const TARGET_MS = 300;
/** Rows per INSERT: the log shows the fill's progress, and no statement runs for minutes. */
const FILL_CHUNK = 100_000;

/**
 * The jobs numbered $1 to $2 of a dashboard's world, generated in SQL, each
 * a function of its number i, so that the searches know what exists:
 * - types: 60 % workouts, 30 % invoices, 10 % emails (by i % 10);
 * - tenants: seven jobs in a row to one tenant, `acme` 40 % of them, `globex` 20 %, four more 10 % each;
 * - statuses: 75 % completed, 5 % each of queued, processing, failed, dead, cancelled (by i / 10, apart from the type);
 * - workouts carry `userId` `u-<i / 16>` (about ten workouts a user), invoices an `orderId`, emails an address;
 * - every job the correlation id `req-<i>`; every fifth the idempotency key `idem-<i>`;
 * - created_at spread over the last 30 days by a multiplicative hash of i.
 */
const FILL = `
  INSERT INTO jobs (id, type, tenant, status, payload, max_attempts, attempts, correlation_id, idempotency_key, published_at, created_at, updated_at)
  SELECT gen_random_uuid(), job.type, job.tenant, job.status,
         CASE job.type
           WHEN 'workouts' THEN jsonb_build_object('userId', 'u-' || (i / 16), 'activity', (ARRAY['run', 'ride', 'swim', 'strength'])[1 + i % 4], 'durationSec', 600 + i % 3000)
           WHEN 'invoices' THEN jsonb_build_object('orderId', 'o-' || i, 'customerId', 'c-' || (i % 5000), 'amount', (i % 50000) / 100.0)
           ELSE jsonb_build_object('to', 'user' || (i % 20000) || '@example.com', 'template', 'welcome')
         END,
         5, 1, 'req-' || i, CASE WHEN i % 5 = 0 THEN 'idem-' || i END, job.created_at, job.created_at, job.created_at
  FROM generate_series($1::int, $2::int) AS i,
  LATERAL (SELECT
    CASE WHEN i % 10 < 6 THEN 'workouts' WHEN i % 10 < 9 THEN 'invoices' ELSE 'emails' END AS type,
    (ARRAY['acme', 'acme', 'acme', 'acme', 'globex', 'globex', 'initech', 'umbrella', 'hooli', 'stark'])[1 + (i / 7) % 10] AS tenant,
    (ARRAY['completed', 'queued', 'processing', 'failed', 'dead', 'cancelled'])[CASE WHEN (i / 10) % 20 < 15 THEN 1 ELSE (i / 10) % 20 - 13 END] AS status,
    now() - make_interval(secs => (i * 2654435761::bigint % 2592000)::double precision) AS created_at
  ) AS job`;

/**
 * 10. Dashboard search: JobSearchRepository.search, a page of 20, on a
 * table of `sizes.search.jobs` jobs (1,000,000 in the full run): a user's
 * workouts (about ten jobs) across tenants and within the largest tenant,
 * a job by correlation id, by idempotency key and by id, dead invoices, a
 * tenant's newest page, a payload value a third of the tenant's workouts
 * share, and every tenant's newest page. Each search runs
 * `sizes.search.runs` times after a warm-up; the log shows the plan of the
 * user search, with its timings.
 */
export async function dashboardSearch(world: BenchWorld, sizes: BenchSizes, log: (line: string) => void): Promise<BenchRow[]> {
  const { jobs, runs } = sizes.search;
  await world.reset();
  const filled = Date.now();
  for (let from = 1; from <= jobs; from += FILL_CHUNK) {
    await world.query(FILL, [from, Math.min(jobs, from + FILL_CHUNK - 1)]);
    log(`  search: ${Math.min(jobs, from + FILL_CHUNK - 1).toLocaleString('en')} of ${jobs.toLocaleString('en')} jobs`);
  }
  // As autovacuum leaves a table at rest: statistics for the planner, jobs_payload_idx's pending list merged.
  await world.query(`VACUUM ANALYZE jobs`);
  log(`  search: filled and analysed in ${((Date.now() - filled) / 1000).toFixed(1)} s`);

  const dataSource = await persistence
    .createDataSource({ url: world.databaseUrl, poolSize: 2, applicationName: 'baton-bench-search', schema: persistence.CORE_SCHEMA })
    .initialize();
  try {
    const repository = new persistence.JobSearchRepository(dataSource);
    // Seven jobs in a row share a tenant, and i = 1120 m … 1120 m + 15 all belong to acme: this user's ten-odd workouts are acme's.
    const userId = `u-${70 * Math.floor(jobs / 2240)}`;
    const middle = 5 * Math.floor(jobs / 10);
    const [{ id }] = await world.query<{ id: string }>(`SELECT id FROM jobs WHERE correlation_id = $1`, [`req-${middle + 1}`]);
    const user = { field: 'userId', value: userId };
    const searches: Array<[string, JobSearch]> = [
      [`a user's workouts (payload userId), every tenant`, { payload: user }],
      [`a user's workouts in acme (40 % of jobs)`, { tenant: 'acme', payload: user }],
      ['a correlation id', { text: `req-${middle + 1}` }],
      ['an idempotency key', { text: `idem-${middle}` }],
      ['a job id', { text: id }],
      ['dead invoices, every tenant', { status: JobStatus.Dead, type: JobType.Invoice }],
      [`acme's newest page`, { tenant: 'acme' }],
      [`acme's runs (payload activity, 15 % of acme's jobs)`, { tenant: 'acme', payload: { field: 'activity', value: 'run' } }],
      [`every tenant's newest page`, {}],
    ];

    log(`  search: plan of the user search\n${indent(await explainAnalyze(dataSource, () => repository.search({ payload: user }, PAGE)))}`);

    const rows: BenchRow[] = [];
    for (const [name, filter] of searches) {
      let found = 0;
      for (let run = 0; run < WARM_UP_RUNS; run++) found = (await repository.search(filter, PAGE)).jobs.length;
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const started = process.hrtime.bigint();
        await repository.search(filter, PAGE);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      const [p50, p99] = [percentile(times, 50), percentile(times, 99)];
      log(`  search ${name}: ${found} on the page, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${runs} runs`);
      const note = rows.length === 0 ? `${runs} runs of each search on ${jobs.toLocaleString('en')} jobs, pages of ${PAGE}` : undefined;
      rows.push(
        absolute(SCENARIO, `${name}: p50`, 'ms', figure([p50]), {}, note),
        absolute(SCENARIO, `${name}: p99`, 'ms', figure([p99]), { below: TARGET_MS }),
      );
    }
    return rows;
  } finally {
    await dataSource.destroy();
    await world.reset();
  }
}

/** EXPLAIN ANALYZE of the statements `search` sends through the pool, as it sends them. */
async function explainAnalyze(dataSource: DataSource, search: () => Promise<unknown>): Promise<string> {
  const pool: Pool = persistence.connectedPool(dataSource);
  const sent: Array<{ text: string; values: unknown[] }> = [];
  const query = pool.query;
  pool.query = ((config: unknown, ...rest: unknown[]) => {
    if (typeof config === 'object' && config !== null && 'text' in config) sent.push(config as { text: string; values: unknown[] });
    return (query as (...args: unknown[]) => unknown).call(pool, config, ...rest);
  }) as typeof pool.query;
  try {
    await search();
  } finally {
    pool.query = query;
  }
  const plans: string[] = [];
  for (const { text, values } of sent) {
    const lines = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    plans.push(lines.rows.map((line) => line['QUERY PLAN']).join('\n'));
  }
  return plans.join('\n\n');
}

const indent = (text: string) => text.replace(/^/gm, '    ');
