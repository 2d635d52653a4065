export { startServerSpan, ServerSpan } from './http-server-span';
export { activeTraceIds, inClientSpan, inDatabaseSpan, inProcessSpan, inPublishSpan, inRepublishSpan, inSpan, markActiveSpanFailed, markFailed, MessageTarget, SemanticAttributes, SpanSpec } from './spans';
export { startTracing, stopTracing, tracingConfigured, tracingEnabled } from './start-tracing';
export { contextFrom, currentTraceContext, TraceContext, traceContextFromHeaders, traceContextOf, traceHeaders } from './trace-context';
export type { Attributes as SpanAttributes } from '@opentelemetry/api';
