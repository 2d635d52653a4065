import { DynamicModule, Module, Type } from '@nestjs/common';
import { BatonConfig, ConfigModule } from '@baton/config';
import { WEBHOOK_DELIVERY_QUEUE, WorkerQueue } from '@baton/contracts';
import { BATON_SCHEMA, JobTypesModule } from '@baton/jobs';
import { MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule, QueuePauseRepository } from '@baton/persistence';
import { ReadCacheModule } from '@baton/read-cache';
import { JobRunner } from './jobs/job-runner';
import { JobRetentionModule } from './retention/job-retention.module';
import { WebhookDeliveryWorkerModule } from './webhooks/webhook-delivery-worker.module';

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
        MessagingModule.forRoot({ broker: 'rabbitmq', processor: JobRunner, pauses: QueuePauseRepository }),
        JobTypesModule.forRoot(),
        ReadCacheModule,
        JobRetentionModule,
        ...(await WorkerModule.handlersFor(config.WORKER_QUEUES)),
      ],
    };
  }

  /**
   * The worker modules of the job types consumed, each with its
   * `@JobHandler`, and the webhook delivery workers' where `webhooks` is. The transport refuses to start when a consumed queue
   * ends up with no handler, or with two.
   */
  static async handlersFor(queues: readonly WorkerQueue[]): Promise<Type<unknown>[]> {
    const webhooks = queues.includes(WEBHOOK_DELIVERY_QUEUE) ? [WebhookDeliveryWorkerModule] : [];
    return [...(await JobTypesModule.workersFor(queues)), ...webhooks];
  }
}
