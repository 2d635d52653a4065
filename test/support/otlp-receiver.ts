import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the receiver took it, its attributes flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** OTLP's numbering: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  /** The resource's `service.name`. */
  service: unknown;
}

export const SpanKinds = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export const STATUS_ERROR = 2;

type Waiter = { check: () => boolean; resolve: () => void };

/**
 * An OpenTelemetry collector for tests, on a loopback port: takes
 * `POST /v1/traces` in OTLP/HTTP's JSON encoding (what
 * @opentelemetry/exporter-trace-otlp-http sends) and keeps every span.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private readonly waiters = new Set<Waiter>();
  private server?: Server;

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces' || !String(request.headers['content-type']).startsWith('application/json')) {
          response.writeHead(415).end();
          return;
        }
        receiver.take(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receiver.server = server;
    return receiver;
  }

  /** What OTEL_EXPORTER_OTLP_ENDPOINT should say: the exporter adds `/v1/traces`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  /** Resolves once `find` returns something from the spans received, with it; fails after `timeoutMs`. */
  async waitFor<T>(description: string, find: (spans: ReceivedSpan[]) => T | undefined, timeoutMs = 20_000): Promise<T> {
    let found: T | undefined;
    const check = () => (found = find(this.spans)) !== undefined;
    if (check()) return found!;
    let timer: NodeJS.Timeout | undefined;
    let waiter: Waiter | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.add((waiter = { check, resolve }))),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${description}; spans received: ${this.describe()}`)), timeoutMs))),
      ]);
      return found!;
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
  }

  /** The chain of parents from `span` up to the trace's root, `span` first. */
  ancestry(span: ReceivedSpan): ReceivedSpan[] {
    const chain = [span];
    for (let parent = this.parentOf(span); parent; parent = this.parentOf(parent)) chain.push(parent);
    return chain;
  }

  parentOf(span: ReceivedSpan): ReceivedSpan | undefined {
    return span.parentSpanId ? this.spans.find((candidate) => candidate.traceId === span.traceId && candidate.spanId === span.parentSpanId) : undefined;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private describe(): string {
    return this.spans.map((span) => `${span.name} (${span.traceId.slice(0, 8)}/${span.spanId.slice(0, 8)} <- ${span.parentSpanId.slice(0, 8) || 'root'})`).join(', ') || 'none';
  }

  private take(request: OtlpTraces): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const service = attributesOf(resourceSpans.resource?.attributes)['service.name'];
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            traceId: hexId(span.traceId),
            spanId: hexId(span.spanId),
            parentSpanId: hexId(span.parentSpanId),
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            status: span.status ?? { code: 0 },
            service,
          });
        }
      }
    }
    for (const waiter of this.waiters) if (waiter.check()) waiter.resolve();
  }
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: OtlpValue }>;
  status?: { code: number; message?: string };
}
interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: Array<{ key: string; value: OtlpValue }> }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

function attributesOf(attributes: Array<{ key: string; value: OtlpValue }> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue))]),
  );
}

// OTLP/JSON writes ids in hex; protobuf's JSON mapping would write base64: take either.
function hexId(id: string | undefined): string {
  if (!id) return '';
  return /^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}
