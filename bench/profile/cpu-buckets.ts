/**
 * Where a process's CPU went, from a V8 `.cpuprofile`: each busy sample (all
 * but `(idle)`) in one bucket, by the function it was in (its own time, not
 * its callees'), named for the layer that function belongs to.
 */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
}

export interface Bucket {
  name: string;
  /** Share of the busy samples. */
  share: number;
  /** The packages or modules "other" holds, largest first. */
  parts?: string[];
}

const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);
const NATIVE_CRYPTO = new Set(['Hash', 'digest', 'update', 'randomUUID', 'secureBuffer', 'getRandomValues', 'oneShotDigest']);

const PACKAGES: Array<[string, (name: string) => boolean]> = [
  ['validation (class-validator, class-transformer, the validator package)', (name) => ['class-validator', 'class-transformer', 'validator', 'libphonenumber-js'].includes(name)],
  [
    'Fastify (routing, hooks, body parsing, the rate limit)',
    (name) => name === 'fastify' || name.startsWith('@fastify/') || ['find-my-way', 'secure-json-parse', 'fast-json-stringify', 'avvio', 'fast-querystring', 'toad-cache', 'light-my-request', 'process-warning', 'rfdc'].includes(name),
  ],
  ['Nest (router, guards, pipes, interceptors)', (name) => name.startsWith('@nestjs/') || ['rxjs', 'reflect-metadata', 'tslib'].includes(name)],
  ['pg driver and TypeORM', (name) => ['pg', 'pg-protocol', 'pg-pool', 'pg-types', 'postgres-array', 'postgres-date', 'typeorm'].includes(name)],
  ['amqplib', (name) => ['amqplib', 'buffer-more-ints'].includes(name)],
  ['metrics and logs (prom-client, pino)', (name) => ['prom-client', 'pino', 'sonic-boom', 'fast-redact', 'bintrees', 'tdigest', 'pino-std-serializers', 'quick-format-unescaped', 'fast-safe-stringify'].includes(name)],
  ['tracing (OpenTelemetry)', (name) => name.startsWith('@opentelemetry/')],
];

const SOCKETS = 'socket writes (system calls: `writev` from pg, `write` from amqplib, the response)';
const NODE = "Node's HTTP, sockets, streams, buffers, events and timers";

function bucketOf({ functionName, url }: { functionName: string; url: string }): string {
  if (functionName === '(garbage collector)') return 'V8 garbage collection';
  if (!url) {
    if (SOCKET_WRITES.has(functionName)) return SOCKETS;
    if (NATIVE_CRYPTO.has(functionName)) return 'crypto (ids, the key\'s hash)';
    return 'V8 and native, not attributed';
  }
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (inPackage) return PACKAGES.find(([, owns]) => owns(inPackage))?.[0] ?? `other:${inPackage}`;
  if (url.startsWith('node:')) {
    if (/async_hooks|async_local_storage|async_context/.test(url)) return 'async context (`AsyncResource`, `AsyncLocalStorage`)';
    if (url.includes('crypto')) return 'crypto (ids, the key\'s hash)';
    if (/_http|net|stream|events|timers|task_queues|buffer|dns|url|diagnostics_channel|perf/.test(url)) return NODE;
    return `other:${url}`;
  }
  if (/payload-validation|job-options/.test(url)) return PACKAGES[0][0];
  if (url.includes('/dist/') || url.includes('/libs/') || url.includes('/apps/')) return "Baton's own code";
  return `other:${url}`;
}

export function cpuBuckets(profile: CpuProfile): Bucket[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)') continue;
    busy++;
    const bucket = bucketOf(frame);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const other = [...counts].filter(([name]) => name.startsWith('other:')).sort((a, b) => b[1] - a[1]);
  const buckets: Bucket[] = [...counts].filter(([name]) => !name.startsWith('other:')).map(([name, count]) => ({ name, share: count / busy }));
  buckets.sort((a, b) => b.share - a.share);
  if (other.length > 0) {
    const count = other.reduce((sum, [, part]) => sum + part, 0);
    buckets.push({ name: 'other', share: count / busy, parts: other.slice(0, 6).map(([name, part]) => `${name.slice(6)} ${((100 * part) / busy).toFixed(1)} %`) });
  }
  return buckets;
}
