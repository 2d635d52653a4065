import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SemanticAttributes } from './spans';

const tracer = trace.getTracer('baton');

/** A request's SERVER span, begun when it arrives and ended with its response. */
export interface ServerSpan {
  /** Runs `work` (the rest of the request) with this span active. */
  within<T>(work: () => T): T;
  end(statusCode: number, route: string | undefined): void;
}

/**
 * Begins the SERVER span of an HTTP request, continuing the trace of an
 * incoming `traceparent` header. Only while tracing is on (tracingEnabled):
 * the API's accept path must not pay for it otherwise.
 */
export function startServerSpan(request: { method: string; route: string | undefined; path: string; scheme: string; headers: Record<string, unknown> }): ServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer.startSpan(
    request.route ? `${request.method} ${request.route}` : request.method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [SemanticAttributes.HTTP_REQUEST_METHOD]: request.method,
        [SemanticAttributes.URL_PATH]: request.path,
        [SemanticAttributes.URL_SCHEME]: request.scheme,
        ...(request.route ? { [SemanticAttributes.HTTP_ROUTE]: request.route } : {}),
      },
    },
    parent,
  );
  return {
    within: (work) => context.with(trace.setSpan(parent, span), work),
    end(statusCode, route) {
      span.setAttribute(SemanticAttributes.HTTP_RESPONSE_STATUS_CODE, statusCode);
      if (route) span.setAttribute(SemanticAttributes.HTTP_ROUTE, route);
      // The conventions: a server span fails on a 5xx only; a 4xx is the client's error.
      if (statusCode >= 500) {
        span.setAttribute(SemanticAttributes.ERROR_TYPE, String(statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
