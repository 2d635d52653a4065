import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

let provider: NodeTracerProvider | undefined;

/** True when the environment names an OTLP endpoint for traces, and the SDK is not switched off. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** True once startTracing has registered a tracer provider in this process. */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/**
 * Starts the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: spans batched and exported over
 * OTLP/HTTP (JSON), the resource from OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES (else `service.name` is `serviceName`), the
 * sampler from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG
 * (parentbased_always_on by default), W3C trace-context propagation.
 * Call it first thing in a main, before anything creates a span.
 *
 * Unset, it does nothing at all: the SDK is never even loaded, and
 * @opentelemetry/api stays the no-op it is without a provider, so Baton pays
 * for tracing only where someone collects the traces.
 */
export function startTracing(serviceName: string): void {
  if (provider || !tracingConfigured()) return;
  // Required here rather than imported: an unset endpoint must not load them.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const sdk = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Later resources win: the variables override Baton's own service name.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  // The exporter and the batch processor read the standard OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables themselves.
  provider = new sdk.NodeTracerProvider({ resource, spanProcessors: [new sdk.BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
}

/**
 * Exports the spans still buffered, then stops the SDK; at most `timeoutMs`,
 * so that a collector that does not answer cannot hold up a shutdown.
 */
export async function stopTracing(timeoutMs = TRACE_FLUSH_TIMEOUT_MS): Promise<void> {
  const stopping = provider;
  if (!stopping) return;
  provider = undefined;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    stopping.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}

/**
 * How long a process that stops gives its last spans to reach the
 * collector: short, since it comes after the drain, inside the shutdown
 * budget (SHUTDOWN_TIMEOUT_MS) that Kubernetes' grace period is sized for.
 */
const TRACE_FLUSH_TIMEOUT_MS = 2_000;
