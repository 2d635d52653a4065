/**
 * JobSearchRepository on the real database: the dashboard's filters, exact
 * matches and payload search, tenant isolation, cursor pages, and the plans
 * PostgreSQL chooses for them on a table of some size.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { connectedPool, InvalidCursorError, InvalidPayloadFieldError, isSearchablePayloadField, JobSearch, JobSearchRepository, NewJob } from '@baton/persistence';
import { openTestDataSource } from '../support/services';
import { jobFixtures } from '../support/job-fixtures';

describe('JobSearchRepository (PostgreSQL)', () => {
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let search: JobSearchRepository;

  beforeAll(async () => {
    ({ ds, close } = await openTestDataSource('baton_job_search'));
    search = new JobSearchRepository(ds);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob } = jobFixtures(() => ds);
  const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  const ids = async (filter: JobSearch, limit = 100) => (await search.search(filter, limit)).jobs.map((job) => job.id);

  /** Inserts the jobs in this order, a second apart, the first oldest: two inserts in one tick would tie on created_at. */
  async function insertInOrder(jobs: Array<Partial<NewJob>>): Promise<string[]> {
    const inserted: string[] = [];
    for (const [i, overrides] of jobs.entries()) {
      const job = await insertJob(overrides);
      await ds.query(`UPDATE jobs SET created_at = now() - make_interval(secs => $2) WHERE id = $1`, [job.id, 1000 - i]);
      inserted.push(job.id);
    }
    return inserted;
  }

  /** Every page of a search, `limit` jobs at a time. */
  async function allPages(filter: JobSearch, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search.search(filter, limit, cursor);
      expect(page.jobs.length).toBeLessThanOrEqual(limit);
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return seen;
  }

  it('filters by tenant, status, type and creation time, newest first', async () => {
    const tenant = unique('filters');
    const [workout, invoice, email, late] = await insertInOrder([{ tenant }, { tenant, type: JobType.Invoice }, { tenant, type: JobType.Email }, { tenant }]);
    await ds.query(`UPDATE jobs SET status = $2 WHERE id = $1`, [invoice, JobStatus.Dead]);
    const [{ at }] = await ds.query(`SELECT created_at AS at FROM jobs WHERE id = $1`, [email]);

    expect(await ids({ tenant })).toEqual([late, email, invoice, workout]);
    expect(await ids({ tenant, type: JobType.Workout })).toEqual([late, workout]);
    expect(await ids({ tenant, status: JobStatus.Dead })).toEqual([invoice]);
    expect(await ids({ tenant, status: JobStatus.Dead, type: JobType.Workout })).toEqual([]);
    // `from` includes its instant, `to` leaves it out.
    expect(await ids({ tenant, from: at })).toEqual([late, email]);
    expect(await ids({ tenant, to: at })).toEqual([invoice, workout]);
    expect(await ids({ tenant, from: at, to: new Date(at.getTime() + 1) })).toEqual([email]);
  });

  it('finds a job by its id, its correlation id or its idempotency key, exactly', async () => {
    const tenant = unique('text');
    const correlationId = unique('req');
    const idempotencyKey = unique('key');
    const [byCorrelation, byKey, other] = await insertInOrder([{ tenant, correlationId }, { tenant, idempotencyKey }, { tenant }]);

    expect(await ids({ text: correlationId })).toEqual([byCorrelation]);
    expect(await ids({ text: idempotencyKey })).toEqual([byKey]);
    expect(await ids({ text: other })).toEqual([other]);
    expect(await ids({ text: other.toUpperCase() })).toEqual([other]);
    expect(await ids({ text: correlationId.slice(0, -1) })).toEqual([]);
    expect(await ids({ text: randomUUID() })).toEqual([]);
    // Text that is neither a UUID nor stored anywhere, quotes and all, is only text.
    expect(await ids({ text: `' OR 1=1 --` })).toEqual([]);
    expect(await ids({ tenant, text: correlationId, type: JobType.Invoice })).toEqual([]);
  });

  it('never shows a tenant another tenant\'s job; an operator sees every tenant\'s', async () => {
    const [ours, theirs] = [unique('ours'), unique('theirs')];
    const idempotencyKey = unique('shared-key');
    const correlationId = unique('shared-req');
    const userId = unique('u');
    const [mine, yours] = await insertInOrder([
      { tenant: ours, idempotencyKey, correlationId, payload: { userId } },
      { tenant: theirs, idempotencyKey, correlationId, payload: { userId } },
    ]);

    for (const filter of [{}, { text: idempotencyKey }, { text: correlationId }, { text: yours }, { payload: { field: 'userId', value: userId } }]) {
      expect(await ids({ ...filter, tenant: ours })).not.toContain(yours);
      expect(await ids({ ...filter, tenant: theirs })).not.toContain(mine);
    }
    expect(await ids({ tenant: ours, text: yours })).toEqual([]);
    expect(await ids({ tenant: ours, text: idempotencyKey })).toEqual([mine]);
    expect(await ids({ text: idempotencyKey })).toEqual([yours, mine]);
    expect(await ids({ payload: { field: 'userId', value: userId } })).toEqual([yours, mine]);
  });

  describe('payload search', () => {
    const tenant = unique('payload');
    let jobs: Record<'text' | 'number' | 'numberAsText' | 'decimal' | 'padded' | 'longer' | 'otherField' | 'nested', string>;

    beforeAll(async () => {
      const [text, number, numberAsText, decimal, padded, longer, otherField, nested] = await insertInOrder(
        [
          { userId: 'u-42' },
          { userId: 42 },
          { userId: '42' },
          { userId: 42.5 },
          { userId: '042' },
          { userId: 'u-420' },
          { ownerId: 'u-42' },
          { user: { userId: 'u-42' } },
        ].map((payload) => ({ tenant, payload })),
      );
      jobs = { text, number, numberAsText, decimal, padded, longer, otherField, nested };
    });

    const matching = (field: string, value: string) => ids({ tenant, payload: { field, value } });

    it('matches a top-level field equal to the string, and to the number when the value is one', async () => {
      expect(await matching('userId', 'u-42')).toEqual([jobs.text]);
      expect(await matching('userId', '42')).toEqual([jobs.numberAsText, jobs.number]);
      expect(await matching('userId', '42.0')).toEqual([jobs.number]);
      expect(await matching('userId', '42.5')).toEqual([jobs.decimal]);
      // Not a plain decimal: the string alone.
      expect(await matching('userId', '042')).toEqual([jobs.padded]);
      expect(await matching('userId', '4')).toEqual([]);
      expect(await matching('ownerId', 'u-42')).toEqual([jobs.otherField]);
      expect(await matching('user', 'u-42')).toEqual([]);
      expect(await matching('userId', `u-42"}, "x": {"`)).toEqual([]);
    });

    it('refuses a field name that is not 1–64 letters, digits, "_" or "-"', async () => {
      for (const name of ['userId', 'user_id', 'user-id', '0', 'a'.repeat(64)]) expect(isSearchablePayloadField(name)).toBe(true);
      for (const name of ['', 'a'.repeat(65), 'user.id', 'user id', `userId'`, '{userId}', 'naïve', 'userId\n']) {
        expect(isSearchablePayloadField(name)).toBe(false);
        await expect(matching(name, 'u-42')).rejects.toBeInstanceOf(InvalidPayloadFieldError);
      }
    });
  });

  it('pages neither repeat nor skip a job, for a plain filter and for a search, while jobs are inserted', async () => {
    const tenant = unique('pages');
    const userId = unique('u');
    const inserted = await insertInOrder(Array.from({ length: 11 }, (_, i) => ({ tenant, payload: { userId: i % 2 === 0 ? userId : 'someone' } })));
    // Tied creation times across the second and third pages: the id orders them, and the cursor keeps to it.
    await ds.query(`UPDATE jobs SET created_at = (SELECT created_at FROM jobs WHERE id = $2) WHERE id = $1`, [inserted[4], inserted[5]]);
    const newestFirst = await ds.query(`SELECT id FROM jobs WHERE tenant = $1 ORDER BY created_at DESC, id DESC`, [tenant]);
    const expected = newestFirst.map((row: { id: string }) => row.id);

    const first = await search.search({ tenant }, 3);
    const late = await insertJob({ tenant, payload: { userId } });
    const rest = [];
    for (let cursor = first.nextCursor; cursor !== null; ) {
      const page = await search.search({ tenant }, 3, cursor);
      rest.push(...page.jobs.map((job) => job.id));
      cursor = page.nextCursor;
    }
    expect([...first.jobs.map((job) => job.id), ...rest]).toEqual(expected);

    const searched = expected.filter((id: string) => inserted.indexOf(id) % 2 === 0);
    expect(await allPages({ tenant, payload: { field: 'userId', value: userId } }, 2)).toEqual([late.id, ...searched]);
    await expect(search.search({ tenant }, 3, 'not-a-cursor')).rejects.toBeInstanceOf(InvalidCursorError);
  });

  describe('on 50,000 jobs', () => {
    const tenant = unique('bulk');
    const statements: Array<{ text: string; values: unknown[] }> = [];

    beforeAll(async () => {
      // Like the dashboard's world: many tenants' jobs, users with a few jobs each, every job with a correlation id.
      await ds.query(
        `INSERT INTO jobs (id, type, tenant, status, payload, max_attempts, correlation_id, idempotency_key, created_at)
         SELECT gen_random_uuid(), 'workouts', CASE WHEN i % 2 = 0 THEN $1 ELSE $1 || '-other' END, 'completed',
                jsonb_build_object('userId', 'bulk-u-' || (i / 10), 'activity', CASE WHEN i % 2 = 0 THEN 'run' ELSE 'ride' END), 3,
                'bulk-req-' || i, 'bulk-key-' || i, now() - make_interval(secs => i)
         FROM generate_series(1, 50000) AS i`,
        [tenant],
      );
      await ds.query(`ANALYZE jobs`);
    });

    /** The plan of the statements one search runs, as PostgreSQL would execute them. */
    async function plan(filter: JobSearch): Promise<string> {
      const pool = connectedPool(ds);
      const query = jest.spyOn(pool, 'query');
      statements.length = 0;
      try {
        await search.search(filter, 20);
        statements.push(...query.mock.calls.map(([config]) => config as unknown as { text: string; values: unknown[] }).filter(({ text }) => text.includes('FROM jobs WHERE')));
      } finally {
        query.mockRestore();
      }
      expect(statements).not.toHaveLength(0);
      const plans = [];
      for (const { text, values } of statements) {
        const lines: Array<{ 'QUERY PLAN': string }> = await ds.query(`EXPLAIN ${text}`, values);
        plans.push(lines.map((line) => line['QUERY PLAN']).join('\n'));
      }
      return plans.join('\n');
    }

    it('finds a user\'s jobs through jobs_payload_idx, even within a tenant of many jobs', async () => {
      expect(await plan({ payload: { field: 'userId', value: 'bulk-u-4200' } })).toMatch(/Bitmap Index Scan on jobs_payload_idx/);
      const inTenant = await plan({ tenant, payload: { field: 'userId', value: 'bulk-u-4200' } });
      expect(inTenant).toMatch(/Bitmap Index Scan on jobs_payload_idx/);
      expect(inTenant).not.toMatch(/jobs_tenant_created_idx|Seq Scan/);
      expect(await ids({ tenant, payload: { field: 'userId', value: 'bulk-u-4200' } })).toHaveLength(5);
    });

    it('finds a job by correlation id, idempotency key or id through their indexes at once', async () => {
      const [{ id }] = await ds.query(`SELECT id FROM jobs WHERE correlation_id = 'bulk-req-4242'`);
      const byText = await plan({ tenant, text: id });
      expect(byText).toMatch(/BitmapOr/);
      expect(byText).toMatch(/Bitmap Index Scan on jobs_correlation_idx/);
      expect(byText).toMatch(/Bitmap Index Scan on jobs_idempotency_key_idx/);
      expect(byText).not.toMatch(/Seq Scan/);
      expect(await ids({ tenant, text: id })).toEqual([id]);
      expect(await ids({ text: 'bulk-key-4242' })).toEqual([id]);
    });

    it('pages a search of many matches newest first, as a plain filter does', async () => {
      const matches = await ds.query(`SELECT id FROM jobs WHERE tenant = $1 AND payload @> '{"activity": "run"}' ORDER BY created_at DESC, id DESC LIMIT 45`, [tenant]);
      const first = await search.search({ tenant, payload: { field: 'activity', value: 'run' } }, 20);
      const second = await search.search({ tenant, payload: { field: 'activity', value: 'run' } }, 20, first.nextCursor!);
      const third = await search.search({ tenant, payload: { field: 'activity', value: 'run' } }, 5, second.nextCursor!);
      expect([...first.jobs, ...second.jobs, ...third.jobs].map((job) => job.id)).toEqual(matches.map((row: { id: string }) => row.id));
      expect(third.nextCursor).not.toBeNull();
    });
  });
});
