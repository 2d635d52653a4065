import { DynamicModule, Module, Type } from '@nestjs/common';
import { BatonConfig, ConfigModule } from '@baton/config';
import { JobType } from '@baton/contracts';
import { BATON_SCHEMA, JobTypesModule } from '@baton/jobs';
import { MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule } from '@baton/persistence';
import { JobRunner } from './jobs/job-runner';

/** The worker process: the handlers of the queues it consumes, over RabbitMQ and PostgreSQL. */
@Module({})
export class WorkerModule {
  static async forProcess(config: BatonConfig): Promise<DynamicModule> {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        PersistenceModule.forRoot('baton-worker', BATON_SCHEMA),
        MessagingModule.forRoot({ broker: 'rabbitmq', processor: JobRunner }),
        JobTypesModule.forRoot(),
        ...(await WorkerModule.handlersFor(config.WORKER_QUEUES)),
      ],
    };
  }

  /**
   * The worker modules of the job types consumed, each with its
   * `@JobHandler`. The transport refuses to start when a consumed queue
   * ends up with no handler, or with two.
   */
  static handlersFor(queues: readonly JobType[]): Promise<Type<unknown>[]> {
    return JobTypesModule.workersFor(queues);
  }
}
