import { IsISO8601, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { JobFiltersQuery } from '../jobs/list-jobs.query';

/** The query of GET /dashboard/api/jobs: the /v1 list's filters, a tenant, a time range, and the searches. */
export class DashboardJobsQuery extends JobFiltersQuery {
  /** An operator's choice of tenant; an admin sees its own only. */
  @IsOptional()
  @IsString()
  @Length(1, 128)
  tenant?: string;

  /** Created at or after. */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an RFC 3339 date-time' })
  from?: string;

  /** Created before. */
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an RFC 3339 date-time' })
  to?: string;

  /** A job id, a correlation id (X-Request-Id) or an idempotency key, matched exactly. */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  q?: string;

  /** A top-level payload field, searched for `value` (which characters it may hold: JobSearchRepository). */
  @ValidateIf((query: DashboardJobsQuery) => query.field !== undefined || query.value !== undefined)
  @IsString({ message: 'field must name a payload field when value is given' })
  @Length(1, 64)
  field?: string;

  @ValidateIf((query: DashboardJobsQuery) => query.field !== undefined || query.value !== undefined)
  @IsString({ message: 'value must be given with field' })
  @Length(1, 255)
  value?: string;
}
