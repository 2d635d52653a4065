import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { JOB_STATUSES, JOB_TYPES, JobStatus, JobType } from '@baton/contracts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The part of a list's query that pages: a page size and the cursor of the page to read. */
export class PageQuery {
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  /** `nextCursor` of the previous page, as it was returned. */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  cursor?: string;
}

/** The filters every job list takes (the API's, the dashboard's), and the page. */
export class JobFiltersQuery extends PageQuery {
  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @IsOptional()
  @IsIn(JOB_TYPES, { message: `type must be one of ${JOB_TYPES.join(', ')}` })
  type?: JobType;
}

/** The query of GET /v1/jobs: filters, and the page. */
export class ListJobsQuery extends JobFiltersQuery {
  /** Only the jobs this schedule created. */
  @IsOptional()
  @IsUUID('all', { message: 'scheduleId must be a UUID' })
  scheduleId?: string;
}
