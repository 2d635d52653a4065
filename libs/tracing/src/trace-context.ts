import { Context, context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { tracingEnabled } from './start-tracing';

/**
 * A span's context in its W3C form, as it travels with a job: stored on the
 * job's row and carried in its messages' headers, so that a job published
 * later (by the relay, a retry, a replay) continues the trace of the request
 * that submitted it.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** The active span's context, to store or send on; null while no span is being recorded. */
export function currentTraceContext(): TraceContext | null {
  if (!tracingEnabled()) return null;
  return traceContextOf(context.active());
}

/** `ctx`'s span context in W3C form; null when it has none. */
export function traceContextOf(ctx: Context): TraceContext | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (!carrier.traceparent) return null;
  return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
}

/** A context whose parent is the span `traceContext` names; the root context without one. */
export function contextFrom(traceContext: { traceparent?: unknown; tracestate?: unknown } | null | undefined): Context {
  if (!traceContext || typeof traceContext.traceparent !== 'string') return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent: traceContext.traceparent };
  if (typeof traceContext.tracestate === 'string') carrier.tracestate = traceContext.tracestate;
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  return trace.getSpanContext(extracted) ? extracted : ROOT_CONTEXT;
}

/** The W3C headers of a message carrying `traceContext`: none without one. */
export function traceHeaders(traceContext: TraceContext | null | undefined): Record<string, string> {
  if (!traceContext) return {};
  return traceContext.tracestate ? { traceparent: traceContext.traceparent, tracestate: traceContext.tracestate } : { traceparent: traceContext.traceparent };
}

/** The trace context a message's headers carry, if any. */
export function traceContextFromHeaders(headers: Record<string, unknown> | undefined): TraceContext | undefined {
  const traceparent = headers?.traceparent;
  if (typeof traceparent !== 'string' && !Buffer.isBuffer(traceparent)) return undefined;
  const tracestate = headers?.tracestate;
  const state = typeof tracestate === 'string' || Buffer.isBuffer(tracestate) ? String(tracestate) : undefined;
  return state ? { traceparent: String(traceparent), tracestate: state } : { traceparent: String(traceparent) };
}
