import { ApiKeyEntity } from './api-key.entity';
import { InvoiceEntity, InvoiceLineEntity, InvoiceLogoEntity, InvoiceNumberCounterEntity, InvoicePdfEntity, InvoiceSeller } from './invoice.entity';
import { InvoiceProfileEntity } from './invoice-profile.entity';
import { AttemptError, JobEntity } from './job.entity';
import { WorkoutEntity, WorkoutSetEntity } from './workout.entity';

export { ApiKeyEntity, AttemptError, InvoiceEntity, InvoiceLineEntity, InvoicePdfEntity, JobEntity, WorkoutEntity, WorkoutSetEntity };
export { InvoiceLogoEntity, InvoiceNumberCounterEntity, InvoiceProfileEntity, InvoiceSeller };

export const ENTITIES = [
  JobEntity,
  WorkoutEntity,
  WorkoutSetEntity,
  InvoiceEntity,
  InvoiceLineEntity,
  InvoicePdfEntity,
  InvoiceLogoEntity,
  InvoiceNumberCounterEntity,
  InvoiceProfileEntity,
  ApiKeyEntity,
];
