import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BatonConfig } from '@baton/config';
import { Metrics } from '@baton/observability';
import { DatabaseSchema } from './data-source';
import { DatabaseConnector } from './database-connector';
import { DatabaseHealth } from './database-health';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { EventOutboxRepository } from './repositories/event-outbox.repository';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository';
import { WebhookEndpointRepository } from './repositories/webhook-endpoint.repository';
import { JobExecutionRepository } from './repositories/job-execution.repository';
import { JobIntakeRepository } from './repositories/job-intake.repository';
import { JobOperationsRepository } from './repositories/job-operations.repository';
import { JobSearchRepository } from './repositories/job-search.repository';
import { JobRetentionRepository } from './repositories/job-retention.repository';
import { QueueAgeRepository } from './repositories/queue-age.repository';
import { QueuePauseRepository } from './repositories/queue-pause.repository';
import { ScheduleRepository } from './repositories/schedule.repository';
import { DashboardSessionRepository } from './repositories/dashboard-session.repository';
import { JobStatsRepository } from './repositories/job-stats.repository';
import { PRIMARY_READS, ReplicaReads } from './replicas/replica-reads';

const REPOSITORIES = [
  JobIntakeRepository, JobExecutionRepository, JobOperationsRepository, EventOutboxRepository,
  JobSearchRepository,
  WebhookEndpointRepository,
  WebhookDeliveryRepository,
  ScheduleRepository,
  ApiKeyRepository,
  JobRetentionRepository,
  QueueAgeRepository,
  QueuePauseRepository,
  DashboardSessionRepository,
  JobStatsRepository,
  DatabaseHealth,
];

/**
 * PostgreSQL for the process: one pool, connected in the background so that
 * a process whose database is away still starts, reports not ready, and
 * answers 503 until the database is back; and, with DATABASE_READ_URL, a
 * pool per read replica for the hot reads (ReplicaReads).
 */
@Global()
@Module({})
export class PersistenceModule {
  /** `schema`: the core's tables and every job type's (BATON_SCHEMA, from libs/jobs). */
  static forRoot(applicationName: string, schema: DatabaseSchema): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: DatabaseConnector, inject: [BatonConfig], useFactory: (config: BatonConfig) => new DatabaseConnector(config, applicationName, schema) },
        { provide: DataSource, inject: [DatabaseConnector], useFactory: (connector: DatabaseConnector) => connector.dataSource },
        {
          provide: ReplicaReads,
          inject: [BatonConfig, DatabaseConnector, { token: Metrics, optional: true }],
          useFactory: (config: BatonConfig, connector: DatabaseConnector, metrics: Metrics | undefined) =>
            config.DATABASE_READ_URL
              ? ReplicaReads.connect(
                  connector.dataSource,
                  {
                    replicas: config.DATABASE_READ_URL.map((url) => ({ url, poolSize: config.DATABASE_POOL_SIZE, applicationName: `${applicationName}-read`, schema, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS })),
                    minAgeMs: config.DATABASE_READ_MIN_AGE_MS,
                  },
                  metrics,
                )
              : PRIMARY_READS,
        },
        ...REPOSITORIES,
      ],
      exports: [DataSource, DatabaseConnector, ReplicaReads, ...REPOSITORIES],
    };
  }
}
