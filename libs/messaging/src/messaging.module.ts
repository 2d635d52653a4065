import { DynamicModule, Global, Module, Provider, Type } from '@nestjs/common';
import { AmqpConnection } from './amqp-connection';
import { JobConsumerServer } from './job-consumer.server';
import { JOB_PROCESSOR, JobProcessor } from './job-processor';
import { JobPublisher } from './job-publisher';
import { QueueInspector } from './queue-inspector';
import { Topology } from './topology';

/** RabbitMQ for the process: the connection, the topology and the publisher; the consumer for workers. */
@Global()
@Module({})
export class MessagingModule {
  /** For processes that only publish (the API). */
  static forPublisher(): DynamicModule {
    const providers = [Topology, AmqpConnection, JobPublisher, QueueInspector];
    return { module: MessagingModule, providers, exports: providers };
  }

  /** For workers: also the consumer transport, driven by the given JobProcessor. */
  static forConsumer(processor: Type<JobProcessor>): DynamicModule {
    const shared = [Topology, AmqpConnection, JobPublisher, QueueInspector, JobConsumerServer];
    const providers: Provider[] = [...shared, { provide: JOB_PROCESSOR, useClass: processor }];
    return { module: MessagingModule, providers, exports: shared };
  }
}
