import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ApiModule } from '@baton/api';
import { BatonConfig, ConfigModule } from '@baton/config';
import { BATON_SCHEMA, JobTypesModule } from '@baton/jobs';
import { MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule, QueuePauseRepository } from '@baton/persistence';
import { ReadCacheModule } from '@baton/read-cache';
import { JobRetentionModule, JobRunner, WorkerModule } from '@baton/worker';
import { JobRecovery } from './job-recovery';

/**
 * The API and a worker for every job type in one process, over RabbitMQ
 * when RABBITMQ_URL is set and over the in-process broker when it is not.
 */
@Module({})
export class StandaloneModule {
  static async register(config: BatonConfig): Promise<DynamicModule> {
    const inProcess = config.RABBITMQ_URL === undefined;
    const providers: Provider[] = inProcess ? [JobRecovery] : [];
    return {
      module: StandaloneModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        PersistenceModule.forRoot('baton', BATON_SCHEMA),
        MessagingModule.forRoot({ broker: inProcess ? 'in-process' : 'rabbitmq', processor: JobRunner, pauses: QueuePauseRepository }),
        JobTypesModule.forRoot(),
        ReadCacheModule,
        // Development: browsers reach it at http://localhost, where a Secure cookie would not come back from plain HTTP.
        ApiModule.register(config, { secureOverPlainHttp: false }),
        JobRetentionModule,
        ...(await WorkerModule.handlersFor(config.WORKER_QUEUES)),
      ],
      providers,
    };
  }
}
