export { BatonLogger, LogLevelName } from './baton-logger';
export { instrumentHttp } from './http-instrumentation';
export { annotateLogContext, currentLogContext, LogContext, runWithLogContext } from './log-context';
export { Metrics, OldestPendingSample, QueueSample, ReadReplicaSample } from './metrics';
export { ObservabilityModule } from './observability.module';
export { describeError, redactSecrets } from './redact';
export { sampled } from './sampled';
