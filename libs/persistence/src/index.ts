export { createDataSource, DataSourceSettings } from './data-source';
export { ApiKeyChangeFeed, ApiKeyChangeFeedTiming, ApiKeyChangeSubscriber } from './api-key-change-feed';
export { isDatabaseUnavailable } from './database-errors';
export { DatabaseHealth } from './database-health';
export { DatabaseConnector, DatabaseNotConnectedError } from './database-connector';
export { ApiKeyEntity, AttemptError, InvoiceEntity, InvoiceLineEntity, InvoiceSeller, JobEntity, WorkoutEntity, WorkoutSetEntity } from './entities';
export { ActiveApiKey, ApiKeyRepository, NewApiKey } from './repositories/api-key.repository';
export { PersistenceModule } from './persistence.module';
export {
  AttemptFailure,
  CancelOutcome,
  ClaimedJob,
  EffectJob,
  EffectOutcome,
  InsertOutcome,
  InvalidCursorError,
  JobFilter,
  JobPage,
  JobRepository,
  MAX_ATTEMPT_ERRORS,
  MAX_ERROR_LENGTH,
  MAX_STACK_LENGTH,
  NewJob,
  RetryOutcome,
  UnpublishedJob,
} from './repositories/job.repository';
export { NewWorkout, WorkoutRepository } from './repositories/workout.repository';
export { InvoicePdf, InvoiceRepository, NewInvoice, NumberedInvoice, PrintedSeller, SellerChoice } from './repositories/invoice.repository';
export { InvoiceProfile, InvoiceProfileRepository } from './repositories/invoice-profile.repository';
export { runMigrations } from './run-migrations';
export { EmbeddedPostgres } from './embedded-postgres';
