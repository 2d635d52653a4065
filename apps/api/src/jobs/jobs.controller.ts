import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { JobRepository } from '@baton/persistence';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { jobView } from './job.view';

@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobRepository) {}

  @Get(':jobId')
  async get(@Param('jobId', new UuidParamPipe('jobId')) jobId: string) {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new NotFoundException(`No job ${jobId}`);
    return jobView(job);
  }
}
