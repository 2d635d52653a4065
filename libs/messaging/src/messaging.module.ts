import { DynamicModule, Global, Module, Provider, Type } from '@nestjs/common';
import { AmqpConnection } from './amqp/amqp-connection';
import { AmqpDeadLetters } from './amqp/amqp-dead-letters';
import { AmqpJobPublisher } from './amqp/amqp-job-publisher';
import { AmqpJobTransport } from './amqp/amqp-job-transport';
import { AmqpQueueInspector } from './amqp/amqp-queue-inspector';
import { InProcessBroker } from './in-process/in-process-broker';
import { InProcessJobTransport } from './in-process/in-process-job-transport';
import { DeadLetters } from './dead-letters';
import { JOB_PROCESSOR, JobProcessor } from './job-processor';
import { JobPublisher } from './job-publisher';
import { JobTransport } from './job-transport';
import { QueueInspector } from './queue-inspector';
import { QUEUE_PAUSE_SOURCE, QueuePauseSource, QueuePauseWatcher } from './queue-pause-watcher';
import { QueueRateLimiter } from './queue-rate-limiter';
import { Topology } from './topology';

export type BrokerKind = 'rabbitmq' | 'in-process';

export interface MessagingOptions {
  /** RabbitMQ (production), or the in-process queue of the embedded mode. */
  broker: BrokerKind;
  /** For processes that consume: what decides each delivery's outcome. */
  processor?: Type<JobProcessor>;
  /** For processes that consume: where the paused queues are read (none paused without it). */
  pauses?: Type<QueuePauseSource>;
}

/**
 * Messaging for the process, behind these tokens whatever the broker:
 * JobPublisher (publish accepted jobs), QueueInspector (queue depths),
 * DeadLetters (purge them) and, for consumers, JobTransport (the worker's microservice strategy).
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    const rabbit = options.broker === 'rabbitmq';
    const providers: Provider[] = rabbit
      ? [
          Topology,
          AmqpConnection,
          AmqpJobPublisher,
          AmqpQueueInspector,
          AmqpDeadLetters,
          { provide: JobPublisher, useExisting: AmqpJobPublisher },
          { provide: QueueInspector, useExisting: AmqpQueueInspector },
          { provide: DeadLetters, useExisting: AmqpDeadLetters },
        ]
      : [
          Topology,
          InProcessBroker,
          { provide: JobPublisher, useExisting: InProcessBroker },
          { provide: QueueInspector, useExisting: InProcessBroker },
          { provide: DeadLetters, useExisting: InProcessBroker },
        ];
    const exported: Array<Provider | Function> = [Topology, JobPublisher, QueueInspector, DeadLetters];
    if (rabbit) exported.push(AmqpConnection);
    if (options.processor) {
      const transport = rabbit ? AmqpJobTransport : InProcessJobTransport;
      providers.push(QueueRateLimiter, QueuePauseWatcher, transport, { provide: JobTransport, useExisting: transport }, { provide: JOB_PROCESSOR, useClass: options.processor });
      if (options.pauses) providers.push({ provide: QUEUE_PAUSE_SOURCE, useExisting: options.pauses });
      exported.push(JobTransport, QueueRateLimiter);
    }
    return { module: MessagingModule, providers, exports: exported as Provider[] };
  }
}
