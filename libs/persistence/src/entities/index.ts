import { ApiKeyEntity } from './api-key.entity';
import { AttemptError, JobEntity } from './job.entity';

export { ApiKeyEntity, AttemptError, JobEntity };

/** The tables of Baton's core; each job type brings its own (libs/jobs). */
export const CORE_ENTITIES = [JobEntity, ApiKeyEntity];
