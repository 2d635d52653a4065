import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { isUuid, JobStatus, JobType } from '@baton/contracts';
import { connected } from '../database-connector';
import { JobEntity } from '../entities';
import { rows } from './job-sql';
import type { JobPage } from './job-operations.repository';
import { decodeCursor, encodeCursor } from './page-cursor';

export interface JobSearch {
  /** Only this tenant's jobs; every tenant's when absent (an operator). */
  tenant?: string;
  status?: JobStatus;
  type?: JobType;
  /** createdAt >= from, createdAt < to */
  from?: Date;
  to?: Date;
  /** Exact match on a job id (when it is a UUID), a correlation id or an idempotency key. */
  text?: string;
  /** A top-level payload field equal to value: matches the string value, and the number when value is a plain decimal number. */
  payload?: { field: string; value: string };
}

/**
 * The most matches of a text or payload search that are all read and sorted;
 * a search that matches more walks the jobs newest first instead. Reading
 * them costs a heap page each, about 60 ms for 10,000 at 1,000,000 jobs;
 * a walk reads about (page × jobs / matches) rows before it has a page:
 * at this bound, both stay in the tens of milliseconds.
 */
const MATCHES_SORTED_AT_MOST = 5_000;

/** A job's place in the newest-first order: what a cursor is made of. */
type PagePosition = { id: string; position: string };

const PAYLOAD_FIELD = /^[A-Za-z0-9_-]{1,64}$/;
/** A JSON number without exponent or leading zeros: `007` is searched as the string alone. */
const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Whether `name` may be searched as a payload field: 1–64 letters, digits, `_` and `-`. */
export function isSearchablePayloadField(name: string): boolean {
  return PAYLOAD_FIELD.test(name);
}

/** A field name the search refuses: the caller's input, answered with a 400 naming `field`. */
export class InvalidPayloadFieldError extends Error {
  constructor(readonly field: string) {
    super('field must be 1 to 64 letters, digits, "_" or "-"');
    this.name = 'InvalidPayloadFieldError';
  }
}

/** A WHERE clause built a condition at a time; every value is a parameter. */
class SearchConditions {
  readonly parameters: unknown[] = [];
  private readonly conditions: string[] = [];

  /** The placeholder of a new parameter. */
  parameter(value: unknown): string {
    this.parameters.push(value);
    return `$${this.parameters.length}`;
  }

  add(condition: string): void {
    this.conditions.push(condition);
  }

  toString(): string {
    return this.conditions.length > 0 ? this.conditions.join(' AND ') : 'true';
  }
}

/**
 * The dashboard's job list and search (docs/dashboard.md, "Job list and
 * search"): the dashboard API's jobs route, for an admin (one tenant) or an
 * operator (every tenant).
 */
@Injectable()
export class JobSearchRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Jobs newest first, filtered, a page at a time, with the cursor of
   * JobOperationsRepository.list: the last row's creation time to the
   * microsecond, then its id, so pages stay stable while jobs are inserted.
   */
  async search(filter: JobSearch, limit: number, cursor?: string): Promise<JobPage> {
    const where = new SearchConditions();
    if (filter.tenant !== undefined) where.add(`tenant = ${where.parameter(filter.tenant)}`);
    if (filter.status !== undefined) where.add(`status = ${where.parameter(filter.status)}`);
    if (filter.type !== undefined) where.add(`type = ${where.parameter(filter.type)}`);
    if (filter.from !== undefined) where.add(`created_at >= ${where.parameter(filter.from)}`);
    if (filter.to !== undefined) where.add(`created_at < ${where.parameter(filter.to)}`);
    if (filter.text !== undefined) where.add(textMatch(where, filter.text));
    if (filter.payload !== undefined) where.add(payloadMatch(where, filter.payload));
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      where.add(`(created_at, id) < (${where.parameter(after.at)}::timestamptz, ${where.parameter(after.id)}::uuid)`);
    }
    const newestFirst = `ORDER BY created_at DESC, id DESC LIMIT ${where.parameter(limit + 1)}`;
    const found = filter.text !== undefined || filter.payload !== undefined ? await this.fewMatches(where, newestFirst) : undefined;
    const positions = found ?? (await this.walkNewestFirst(where, newestFirst));
    const onPage = positions.slice(0, limit);
    const last = onPage.at(-1);
    return { jobs: await this.jobsInOrder(onPage.map((row) => row.id)), nextCursor: positions.length > limit && last ? encodeCursor(last.position, last.id) : null };
  }

  /**
   * A text or payload search's page, when it matches at most
   * MATCHES_SORTED_AT_MOST jobs: all of them, found through the search's
   * index, then sorted; undefined when there are more.
   *
   * Given ORDER BY ... LIMIT, the planner may walk jobs_tenant_created_idx
   * backwards and filter, betting on as many matches as its estimate of the
   * search promises; for a search that matches a handful of jobs (the usual
   * answer to an id, or a user's id) that reads every job of the tenant.
   * Materialised, with no order to keep, the matches come from
   * jobs_payload_idx and the exact-match indexes alone. Past the bound the
   * matches are many, and a walk newest first meets a page of them early
   * (unless nearly all of them are old).
   */
  private async fewMatches(where: SearchConditions, newestFirst: string): Promise<PagePosition[] | undefined> {
    const found = await rows<PagePosition & { matched: number }>(
      this.dataSource,
      `WITH matching AS MATERIALIZED (SELECT id, created_at FROM jobs WHERE ${where} LIMIT ${MATCHES_SORTED_AT_MOST + 1})
       SELECT id, created_at::text AS position, (SELECT count(*)::int FROM matching) AS matched FROM matching ${newestFirst}`,
      where.parameters,
    );
    return found.length > 0 && found[0].matched > MATCHES_SORTED_AT_MOST ? undefined : found;
  }

  private walkNewestFirst(where: SearchConditions, newestFirst: string): Promise<PagePosition[]> {
    return rows<PagePosition>(this.dataSource, `SELECT id, created_at::text AS position FROM jobs WHERE ${where} ${newestFirst}`, where.parameters);
  }

  /** The jobs with these ids, in this order; one deleted meanwhile (retention) is left out. */
  private async jobsInOrder(ids: string[]): Promise<JobEntity[]> {
    if (ids.length === 0) return [];
    const jobs = await connected(this.dataSource).getRepository(JobEntity).findBy({ id: In(ids) });
    const byId = new Map(jobs.map((job) => [job.id, job]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}

/**
 * One OR of the three exact-match indexes (a BitmapOr): the primary key when
 * `text` is a UUID (compared as one, a non-UUID would fail the cast),
 * jobs_correlation_idx and jobs_idempotency_key_idx.
 */
function textMatch(where: SearchConditions, text: string): string {
  const value = `${where.parameter(text)}::text`;
  const matches = [`correlation_id = ${value}`, `idempotency_key = ${value}`];
  if (isUuid(text)) matches.unshift(`id = ${value}::uuid`);
  return `(${matches.join(' OR ')})`;
}

/**
 * Containment, which jobs_payload_idx (jsonb_path_ops) answers; the field's
 * name is a parameter like its value, and the object is built in SQL.
 */
function payloadMatch(where: SearchConditions, payload: { field: string; value: string }): string {
  if (!isSearchablePayloadField(payload.field)) throw new InvalidPayloadFieldError(payload.field);
  const field = `${where.parameter(payload.field)}::text`;
  const value = `${where.parameter(payload.value)}::text`;
  const asString = `payload @> jsonb_build_object(${field}, ${value})`;
  return PLAIN_DECIMAL.test(payload.value) ? `(${asString} OR payload @> jsonb_build_object(${field}, ${value}::numeric))` : asString;
}
