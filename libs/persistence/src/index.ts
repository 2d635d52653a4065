export { CORE_SCHEMA, createDataSource, DatabaseSchema, DataSourceSettings } from './data-source';
export { ApiKeyChangeFeed, ApiKeyChangeFeedTiming, ApiKeyChangeSubscriber } from './api-key-change-feed';
export { isDatabaseUnavailable } from './database-errors';
export { DatabaseHealth } from './database-health';
export { connected, connectedPool, DatabaseConnector, DatabaseNotConnectedError } from './database-connector';
export { ApiKeyEntity, AttemptError, ExpiredJobEntity, JobEntity, ScheduleEntity } from './entities';
export { bigintAsNumber } from './entities/bigint-number.transformer';
export { insertRows } from './repositories/multi-row-insert';
export { ActiveApiKey, ApiKeyRepository, NewApiKey } from './repositories/api-key.repository';
export { PersistenceModule } from './persistence.module';
export { InsertOutcome, JobIntakeRepository, NewJob, UnpublishedJob } from './repositories/job-intake.repository';
export {
  AttemptFailure,
  ClaimedJob,
  Effect,
  EffectJob,
  EffectOutcome,
  EffectSql,
  JobExecutionRepository,
  MAX_ATTEMPT_ERRORS,
  MAX_ERROR_LENGTH,
  MAX_STACK_LENGTH,
} from './repositories/job-execution.repository';
export { CancelOutcome, DeadJobFilter, JobFilter, JobOperationsRepository, JobPage, RetriedJob, RetryOutcome } from './repositories/job-operations.repository';
export { InvalidCursorError } from './repositories/page-cursor';
export { InvalidPayloadFieldError, isSearchablePayloadField, JobSearch, JobSearchRepository } from './repositories/job-search.repository';
export { ExpiredJob, ExpiryCriteria, JobRetentionRepository } from './repositories/job-retention.repository';
export { OldestPending, QueueAgeRepository } from './repositories/queue-age.repository';
export { QueuePause, QueuePauseRepository } from './repositories/queue-pause.repository';
export { DashboardSession, DashboardSessionRepository } from './repositories/dashboard-session.repository';
export { JobMinute, JobStatsRepository, JobTypeCounts, OldestWaiting } from './repositories/job-stats.repository';
export { runMigrations } from './run-migrations';
export { PRIMARY_READS, PrimaryReason, ReplicaReads, ReplicaVerdict, unlessMissing } from './replicas/replica-reads';
export { EmbeddedPostgres } from './embedded-postgres';
export { EffectEvents, eventEnvelopeOf, EventOutboxRepository, NewEvent } from './repositories/event-outbox.repository';
export {
  NewWebhookEndpoint,
  MAX_ENDPOINTS_PER_TENANT,
  WebhookEndpoint,
  WebhookEndpointChanges,
  WebhookEndpointRepository,
} from './repositories/webhook-endpoint.repository';
export {
  ClaimedWebhookDelivery,
  MAX_STORED_ATTEMPTS,
  ReplayOutcome,
  StoredWebhookAttempt,
  WEBHOOK_DELIVERY_STATUSES,
  WebhookAttemptOutcome,
  WebhookDelivery,
  WebhookDeliveryFilter,
  WebhookDeliveryRepository,
  WebhookDeliveryStatus,
} from './repositories/webhook-delivery.repository';
export {
  MAX_SCHEDULES_PER_TENANT,
  NewSchedule,
  Schedule,
  ScheduleChanges,
  ScheduledJob,
  ScheduleRepository,
  ScheduleTicks,
  scheduledCorrelationId,
} from './repositories/schedule.repository';
