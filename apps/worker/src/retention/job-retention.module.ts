import { Module } from '@nestjs/common';
import { JobRetentionSweep } from './job-retention-sweep';

/** Retention in a worker process (and in `npm start`): the sweep of the consumed types' finished jobs. */
@Module({ providers: [JobRetentionSweep] })
export class JobRetentionModule {}
