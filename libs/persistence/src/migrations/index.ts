import { CreateJobPipeline1763800000000 } from './1763800000000-create-job-pipeline';
import { TenantsAndApiKeys1764000000000 } from './1764000000000-tenants-and-api-keys';
import { JobOperations1764100000000 } from './1764100000000-job-operations';

/** Every migration, oldest first. */
export const MIGRATIONS = [CreateJobPipeline1763800000000, TenantsAndApiKeys1764000000000, JobOperations1764100000000];
