import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { JobRepository } from '@baton/persistence';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { jobView } from './job.view';

@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobRepository) {}

  @Get(':jobId')
  @RequireScope(ApiScope.JobsRead)
  async get(@Param('jobId', new UuidParamPipe('jobId')) jobId: string, @Caller() caller: Principal) {
    const job = await this.jobs.findById(jobId, caller.tenant);
    if (!job) throw new NotFoundException(`No job ${jobId}`);
    return jobView(job);
  }
}
