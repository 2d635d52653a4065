import { Body, Controller, GoneException, Get, HttpCode, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiScope, grantsScope, Principal } from '@baton/auth';
import { jobLocation, JobStatus } from '@baton/contracts';
import { ApiOperation } from '@baton/openapi';
import { JobOperationsRepository, JobRetentionRepository } from '@baton/persistence';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyPipe } from '../http/payload.pipe';
import { QueryPipe } from '../http/query.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { JobOperationsService } from './job-operations.service';
import { JobReadService } from './job-read.service';
import { headerRef } from '../openapi/api-components';
import { JobAcceptedSchema, JobPage, JobPageSchema, JobView, jobView, JobViewSchema } from './job.view';
import { DEFAULT_PAGE_SIZE, ListJobsQuery } from './list-jobs.query';
import { MAX_RETRY_DEAD, RetriedDead, RetriedDeadSchema, RetryDeadDto } from './retry-dead.dto';

@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobOperationsRepository,
    private readonly operations: JobOperationsService,
    private readonly retention: JobRetentionRepository,
    private readonly reads: JobReadService,
  ) {}

  @Get()
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({
    operationId: 'listJobs',
    summary: "The tenant's jobs, newest first, a page at a time.",
    description: 'Pages neither repeat nor skip jobs while new ones arrive: pass `nextCursor` as `cursor` for the next page. An unknown parameter, a bad value or a cursor the API did not make is a 400 naming it.',
    responses: { 200: { description: 'A page of jobs.', schema: JobPageSchema } },
  })
  async list(@Query(new QueryPipe(ListJobsQuery)) query: ListJobsQuery, @Caller() caller: Principal): Promise<JobPage> {
    const page = await this.jobs.list({ tenant: caller.tenant, status: query.status, type: query.type, scheduleId: query.scheduleId }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return { jobs: page.jobs.map((job) => jobView(job, withStacks(caller))), nextCursor: page.nextCursor };
  }

  @Post('retry-dead')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryDeadJobs',
    summary: `Sends dead jobs back to their queues, as a retry does each, at most ${MAX_RETRY_DEAD} at a time.`,
    description:
      "Oldest dead first. An `admin` key retries its own tenant's dead jobs; an `operator` key every tenant's, or the one `tenant` names. With `dryRun`, nothing is retried and `wouldRetry` says how many would be.",
    responses: { 200: { description: 'How many were retried.', schema: RetriedDeadSchema } },
  })
  async retryDead(@Body(new BodyPipe(RetryDeadDto)) request: RetryDeadDto, @Caller() caller: Principal): Promise<RetriedDead> {
    return this.operations.retryDead(request, caller);
  }

  @Get(':jobId')
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({
    operationId: 'getJob',
    summary: 'A job: its status, attempts, result or error.',
    description: 'A finished job is deleted once its retention time has passed (days, by default), its workout or invoice kept; the job then answers 410 to its own tenant (for 90 days, then 404).',
    responses: {
      200: { description: 'The job.', schema: JobViewSchema },
      404: "No such job in the API key's tenant.",
      410: "The tenant's job finished and was deleted after its retention time; its result (workout, invoice) is still readable.",
    },
  })
  async get(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal): Promise<JobView> {
    const job = await this.reads.findById(jobId, caller.tenant);
    if (!job) {
      if (await this.retention.isExpired(jobId, caller.tenant)) throw new GoneException(`Job ${jobId} finished and has expired`);
      throw new NotFoundException(`No job ${jobId}`);
    }
    return jobView(job, withStacks(caller));
  }

  @Post(':jobId/retry')
  @RequireScope(ApiScope.Admin)
  @HttpCode(202)
  @ApiOperation({
    operationId: 'retryJob',
    summary: 'Sends a dead job back to its queue with a fresh attempt budget.',
    responses: {
      202: { description: 'Queued again.', schema: JobAcceptedSchema, headers: { Location: headerRef('Location') } },
      404: "No such job in the API key's tenant.",
      409: 'The job is not dead.',
    },
  })
  async retry(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.operations.retry(jobId, caller);
    void reply.header('Location', jobLocation(jobId));
    return { jobId, status: JobStatus.Queued, statusUrl: jobLocation(jobId) };
  }

  @Post(':jobId/cancel')
  @RequireScope(ApiScope.JobsWrite)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelJob',
    summary: 'Cancels a job no worker holds yet: it will never run.',
    description: 'A key without `admin` may cancel only the jobs it submitted (403 otherwise).',
    responses: {
      200: { description: 'The job, now cancelled.', schema: JobViewSchema },
      404: "No such job in the API key's tenant.",
      409: 'A worker holds the job, or it has finished.',
    },
  })
  async cancel(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal): Promise<JobView> {
    return jobView(await this.operations.cancel(jobId, caller), withStacks(caller));
  }
}

/** Stacks show a worker's internals: for the tenant's operators (admin keys) only. */
function withStacks(caller: Principal): boolean {
  return grantsScope(caller.scopes, ApiScope.Admin);
}
