import { ApiKeyEntity } from './api-key.entity';
import { InvoiceEntity, InvoiceLineEntity, InvoicePdfEntity } from './invoice.entity';
import { AttemptError, JobEntity } from './job.entity';
import { WorkoutEntity, WorkoutSetEntity } from './workout.entity';

export { ApiKeyEntity, AttemptError, InvoiceEntity, InvoiceLineEntity, InvoicePdfEntity, JobEntity, WorkoutEntity, WorkoutSetEntity };

export const ENTITIES = [JobEntity, WorkoutEntity, WorkoutSetEntity, InvoiceEntity, InvoiceLineEntity, InvoicePdfEntity, ApiKeyEntity];
