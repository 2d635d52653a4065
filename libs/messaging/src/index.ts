export { AmqpConnection } from './amqp-connection';
export { JobConsumerServer } from './job-consumer.server';
export { ATTEMPT_HEADER, ERROR_HEADER, JobDelivery, JobMessage } from './job-message';
export { DeliveryOutcome, JOB_PROCESSOR, JobContext, JobProcessor } from './job-processor';
export { JobPublisher, PublishFailedError } from './job-publisher';
export { MessagingModule } from './messaging.module';
export { QueueInspector, QueueStats } from './queue-inspector';
export { DEAD_EXCHANGE, Topology, WORK_EXCHANGE, deadLetterQueue, retryQueue, workQueue } from './topology';
