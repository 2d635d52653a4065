import { Body, Controller, ForbiddenException, Get, HttpCode, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiScope, grantsScope, Principal } from '@baton/auth';
import { jobLocation, JobStatus } from '@baton/contracts';
import { InvoiceRepository, jobDefinition, WorkoutRepository } from '@baton/jobs';
import { JobEntity, JobOperationsRepository, JobSearchRepository, WebhookDeliveryRepository } from '@baton/persistence';
import { ApiExcluded } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyPipe } from '../http/payload.pipe';
import { QueryPipe } from '../http/query.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { JobOperationsService } from '../jobs/job-operations.service';
import { JobAccepted, JobView, jobView } from '../jobs/job.view';
import { DEFAULT_PAGE_SIZE } from '../jobs/list-jobs.query';
import { RetriedDead, RetryDeadDto } from '../jobs/retry-dead.dto';
import { workoutView, WorkoutView } from '../workouts/workout.view';
import { DashboardJobsQuery } from './dashboard-jobs.query';
import { DashboardRoutes } from './dashboard-session.guard';
import { JobDetail, jobDetail, JobSummary, jobSummary } from './dashboard.view';

const JOB_ID = new UuidParamPipe('jobId');

/**
 * Jobs in the dashboard: the list and its searches, a job in detail with
 * its workout or invoice, and the actions of the /v1 routes through the
 * same service. An admin session sees its tenant; an operator's every
 * tenant, acting on a job with the rights of an admin of the job's tenant.
 */
@Controller('dashboard/api/jobs')
@ApiExcluded()
@DashboardRoutes()
export class DashboardJobsController {
  constructor(
    private readonly jobs: JobOperationsRepository,
    private readonly search: JobSearchRepository,
    private readonly operations: JobOperationsService,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly workouts: WorkoutRepository,
    private readonly invoices: InvoiceRepository,
  ) {}

  @Get()
  @RequireScope(ApiScope.Admin)
  async list(@Query(new QueryPipe(DashboardJobsQuery)) query: DashboardJobsQuery, @Caller() caller: Principal): Promise<{ jobs: JobSummary[]; nextCursor: string | null }> {
    const page = await this.search.search(
      {
        tenant: tenantScope(query.tenant, caller),
        status: query.status,
        type: query.type,
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
        text: query.q,
        payload: query.field === undefined || query.value === undefined ? undefined : { field: query.field, value: query.value },
      },
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { jobs: page.jobs.map(jobSummary), nextCursor: page.nextCursor };
  }

  @Post('retry-dead')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  retryDead(@Body(new BodyPipe(RetryDeadDto)) request: RetryDeadDto, @Caller() caller: Principal): Promise<RetriedDead> {
    return this.operations.retryDead(request, caller);
  }

  @Get(':jobId')
  @RequireScope(ApiScope.Admin)
  async detail(@Param('jobId', JOB_ID) jobId: string, @Caller() caller: Principal): Promise<JobDetail> {
    const { job } = await this.jobSeenBy(jobId, caller);
    return jobDetail(job, jobDefinition(job.type).secretFields ?? [], await this.deliveries.forJob(job.id, job.tenant));
  }

  @Post(':jobId/retry')
  @RequireScope(ApiScope.Admin)
  @HttpCode(202)
  async retry(@Param('jobId', JOB_ID) jobId: string, @Caller() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<JobAccepted> {
    await this.operations.retry(jobId, (await this.jobSeenBy(jobId, caller)).actor);
    void reply.header('Location', jobLocation(jobId));
    return { jobId, status: JobStatus.Queued, statusUrl: jobLocation(jobId) };
  }

  @Post(':jobId/cancel')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  async cancel(@Param('jobId', JOB_ID) jobId: string, @Caller() caller: Principal): Promise<JobView> {
    return jobView(await this.operations.cancel(jobId, (await this.jobSeenBy(jobId, caller)).actor), true);
  }

  /** The workout a completed workout job saved. */
  @Get(':jobId/workout')
  @RequireScope(ApiScope.Admin)
  async workout(@Param('jobId', JOB_ID) jobId: string, @Caller() caller: Principal): Promise<WorkoutView> {
    const { job } = await this.jobSeenBy(jobId, caller);
    const workoutId = job.result?.workoutId;
    const workout = typeof workoutId === 'string' ? await this.workouts.findById(workoutId, job.tenant) : null;
    if (!workout) throw new NotFoundException(`Job ${jobId} has no workout`);
    return workoutView(workout);
  }

  /** The PDF of the invoice a completed invoice job issued, to open in the browser. */
  @Get(':jobId/invoice.pdf')
  @RequireScope(ApiScope.Admin)
  async invoicePdf(@Param('jobId', JOB_ID) jobId: string, @Caller() caller: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const { job } = await this.jobSeenBy(jobId, caller);
    const invoiceId = job.result?.invoiceId;
    const pdf = typeof invoiceId === 'string' ? await this.invoices.findPdf(invoiceId, job.tenant) : null;
    if (!pdf) throw new NotFoundException(`Job ${jobId} has no invoice PDF`);
    const filename = pdf.number ? `${pdf.number}.pdf` : `invoice-${invoiceId as string}.pdf`;
    void reply.type('application/pdf').header('Content-Disposition', `inline; filename="${filename}"`);
    return pdf.content;
  }

  /**
   * The job, if the caller may see it (its tenant's, or any for an
   * operator: 404 otherwise, as for one that does not exist), and who acts
   * on it: the caller, or for an operator the caller as an admin of the
   * job's tenant.
   */
  private async jobSeenBy(jobId: string, caller: Principal): Promise<{ job: JobEntity; actor: Principal }> {
    const operator = grantsScope(caller.scopes, ApiScope.Operator);
    const job = await this.jobs.find(jobId, operator ? undefined : caller.tenant);
    if (!job) throw new NotFoundException(`No job ${jobId}`);
    return { job, actor: operator ? { ...caller, tenant: job.tenant } : caller };
  }
}

/** Whose jobs a list shows: an admin's tenant's; an operator's chosen tenant's, or every tenant's. */
export function tenantScope(tenant: string | undefined, caller: Principal): string | undefined {
  if (grantsScope(caller.scopes, ApiScope.Operator)) return tenant;
  if (tenant !== undefined && tenant !== caller.tenant) throw new ForbiddenException('Only an operator key may name a tenant');
  return caller.tenant;
}
