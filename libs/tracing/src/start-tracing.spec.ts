import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTracing, tracingConfigured } from './start-tracing';

const run = promisify(execFile);

/**
 * In a process of its own (the SDK registers itself globally, and jest's
 * module registry is not require.cache): starts tracing as a main does,
 * makes a span the way Baton's I/O classes do, and reports which
 * @opentelemetry modules got loaded and how many connections were opened.
 */
const PROBE = `
  const net = require('node:net');
  let connections = 0;
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) { connections++; return connect.apply(this, args); };
  const tracing = require(${JSON.stringify(join(__dirname, 'index.ts'))});
  tracing.startTracing('baton-probe');
  const enabled = tracing.tracingEnabled();
  tracing.inDatabaseSpan('SELECT', 'jobs', async () => undefined)
    .then(() => tracing.stopTracing())
    .then(() => {
      const loaded = Object.keys(require.cache).filter((path) => /@opentelemetry[\\\\/](?!api[\\\\/])/.test(path)).map((path) => path.replace(/.*@opentelemetry[\\\\/]([^\\\\/]+).*/, '$1'));
      process.stdout.write(JSON.stringify({ enabled, sdkModules: [...new Set(loaded)], connections }));
    });
`;

async function probe(env: Record<string, string>): Promise<{ enabled: boolean; sdkModules: string[]; connections: number }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
  const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', PROBE], { env: { ...clean, ...env }, cwd: join(__dirname, '../../..') });
  return JSON.parse(stdout);
}

describe(startTracing.name, () => {
  it('loads no SDK module and opens no connection when no OTLP endpoint is set', async () => {
    expect(await probe({})).toEqual({ enabled: false, sdkModules: [], connections: 0 });
  }, 30_000);

  it('starts the SDK and exports the spans to OTEL_EXPORTER_OTLP_ENDPOINT when it is set', async () => {
    const bodies: string[] = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        bodies.push(`${request.method} ${request.url} ${body}`);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const result = await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'renamed' });
      expect(result.enabled).toBe(true);
      expect(result.sdkModules).toEqual(expect.arrayContaining(['sdk-trace-node', 'exporter-trace-otlp-http', 'resources']));
      // stopTracing flushed the span before the process ended; OTEL_SERVICE_NAME named the service.
      expect(bodies).toEqual([expect.stringMatching(/^POST \/v1\/traces .*"SELECT jobs".*/)]);
      expect(bodies[0]).toContain('"renamed"');
      expect(bodies[0]).not.toContain('baton-probe');
    } finally {
      collector.close();
    }
  }, 30_000);

  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, false],
  ])('tracingConfigured(%j) is %s', (env, expected) => {
    expect(tracingConfigured(env)).toBe(expected);
  });
});
