import { ApiKeyEntity } from './api-key.entity';
import { ExpiredJobEntity } from './expired-job.entity';
import { AttemptError, JobEntity } from './job.entity';
import { QueuePauseEntity } from './queue-pause.entity';
import { ScheduleEntity } from './schedule.entity';

export { ApiKeyEntity, AttemptError, ExpiredJobEntity, JobEntity, QueuePauseEntity, ScheduleEntity };

/** The tables of Baton's core; each job type brings its own (libs/jobs). */
export const CORE_ENTITIES = [JobEntity, ApiKeyEntity, ExpiredJobEntity, ScheduleEntity, QueuePauseEntity];
