import { CreateJobPipeline1763800000000 } from './1763800000000-create-job-pipeline';

/** Every migration, oldest first. */
export const MIGRATIONS = [CreateJobPipeline1763800000000];
