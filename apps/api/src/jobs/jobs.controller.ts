import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiScope, grantsScope, Principal } from '@baton/auth';
import { jobLocation, JobStatus } from '@baton/contracts';
import { JobOperationsRepository } from '@baton/persistence';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { QueryPipe } from '../http/query.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { JobOperationsService } from './job-operations.service';
import { jobView } from './job.view';
import { DEFAULT_PAGE_SIZE, ListJobsQuery } from './list-jobs.query';

@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobOperationsRepository,
    private readonly operations: JobOperationsService,
  ) {}

  @Get()
  @RequireScope(ApiScope.JobsRead)
  async list(@Query(new QueryPipe(ListJobsQuery)) query: ListJobsQuery, @Caller() caller: Principal) {
    const page = await this.jobs.list({ tenant: caller.tenant, status: query.status, type: query.type }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return { jobs: page.jobs.map((job) => jobView(job, withStacks(caller))), nextCursor: page.nextCursor };
  }

  @Get(':jobId')
  @RequireScope(ApiScope.JobsRead)
  async get(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal) {
    const job = await this.jobs.findById(jobId, caller.tenant);
    if (!job) throw new NotFoundException(`No job ${jobId}`);
    return jobView(job, withStacks(caller));
  }

  @Post(':jobId/retry')
  @RequireScope(ApiScope.Admin)
  @HttpCode(202)
  async retry(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.operations.retry(jobId, caller);
    void reply.header('Location', jobLocation(jobId));
    return { jobId, status: JobStatus.Queued, statusUrl: jobLocation(jobId) };
  }

  @Post(':jobId/cancel')
  @RequireScope(ApiScope.JobsWrite)
  @HttpCode(200)
  async cancel(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal) {
    return jobView(await this.operations.cancel(jobId, caller), withStacks(caller));
  }
}

/** Stacks show a worker's internals: for the tenant's operators (admin keys) only. */
function withStacks(caller: Principal): boolean {
  return grantsScope(caller.scopes, ApiScope.Admin);
}
