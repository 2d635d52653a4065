export { JobRunner } from './jobs/job-runner';
export { JobRetentionModule } from './retention/job-retention.module';
export { WorkerModule } from './worker.module';
