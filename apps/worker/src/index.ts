export { JobRunner } from './jobs/job-runner';
export { WorkerModule } from './worker.module';
