export { AmqpConnection } from './amqp/amqp-connection';
export { ATTEMPT_HEADER, ERROR_HEADER, JobDelivery, JobMessage, jobMessageOf } from './job-message';
export { BrokerUnavailableError, DeadLetters } from './dead-letters';
export { DeliveryOutcome, JOB_PROCESSOR, JobContext, JobProcessor } from './job-processor';
export { JobPublisher, PublishFailedError } from './job-publisher';
export { JobTransport, Settlement } from './job-transport';
export { BrokerKind, MessagingModule, MessagingOptions } from './messaging.module';
export { QueueInspector, QueueStats } from './queue-inspector';
export { QueuePauseSource } from './queue-pause-watcher';
export { QueueRateLimiter } from './queue-rate-limiter';
export { DEAD_EXCHANGE, Topology, WORK_EXCHANGE, deadLetterQueue, retryQueue, workQueue } from './topology';
// The RabbitMQ implementation, for tests and tools that drive it directly.
export { AmqpJobPublisher } from './amqp/amqp-job-publisher';
export { AmqpQueueInspector } from './amqp/amqp-queue-inspector';
export { BrokerAdmin, DeadLetterDecision, QueueReport, ReplayReport } from './amqp/broker-admin';
export { InProcessBroker } from './in-process/in-process-broker';
