export { createDataSource, DataSourceSettings } from './data-source';
export { isDatabaseUnavailable } from './database-errors';
export { DatabaseHealth } from './database-health';
export { InvoiceEntity, InvoiceLineEntity, JobEntity, WorkoutEntity, WorkoutSetEntity } from './entities';
export { PersistenceModule } from './persistence.module';
export { ClaimedJob, EffectOutcome, InsertOutcome, JobRepository, MAX_ERROR_LENGTH, NewJob, UnpublishedJob } from './repositories/job.repository';
export { NewWorkout, WorkoutRepository } from './repositories/workout.repository';
export { InvoiceRepository, NewInvoice } from './repositories/invoice.repository';
export { runMigrations } from './run-migrations';
