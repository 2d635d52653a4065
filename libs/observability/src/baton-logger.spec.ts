import { Writable } from 'node:stream';
import { BatonLogger } from './baton-logger';
import { runWithLogContext } from './log-context';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: new BatonLogger('baton-test', level, destination), lines };
}

describe(BatonLogger.name, () => {
  it('writes one JSON object per line with level, time, service and context', () => {
    const { logger, lines } = capture();
    logger.log('hello', 'Greeter');
    expect(lines).toEqual([expect.objectContaining({ level: 'info', service: 'baton-test', context: 'Greeter', msg: 'hello', time: expect.any(String) })]);
  });

  it('adds the correlation id and job id of the work it is logged under', () => {
    const { logger, lines } = capture();
    runWithLogContext({ correlationId: 'req-1', jobId: 'job-1', jobType: 'workouts' }, () => logger.warn('slow', 'Runner'));
    logger.warn('outside', 'Runner');
    expect(lines[0]).toEqual(expect.objectContaining({ correlationId: 'req-1', jobId: 'job-1', jobType: 'workouts', level: 'warn' }));
    expect(lines[1]).not.toHaveProperty('correlationId');
  });

  it('scrubs credentials from messages and stacks', () => {
    const { logger, lines } = capture();
    logger.error('cannot reach postgres://baton:hunter2@db/baton', 'Error: at postgres://baton:hunter2@db/baton', 'Db');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines[0]).toEqual(expect.objectContaining({ level: 'error', context: 'Db', stack: expect.stringContaining('***@db') }));
  });

  it("logs Nest's start-up chatter at debug level, out of sight at info", () => {
    const { logger, lines } = capture('info');
    logger.log('Mapped {/v1/jobs, GET} route', 'RouterExplorer');
    logger.log('API listening', 'Api');
    expect(lines.map((line) => line.msg)).toEqual(['API listening']);
  });
});

describe(`${BatonLogger.name} with a span active`, () => {
  beforeAll(() => {
    // The SDK's provider with no exporter: spans with real ids, and the context manager that makes one active.
    const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
    new NodeTracerProvider().register();
  });

  it('adds trace_id and span_id to every line written while a span is active, and only then', async () => {
    const { trace } = await import('@opentelemetry/api');
    const { logger, lines } = capture();
    const ids = trace.getTracer('test').startActiveSpan('work', (span) => {
      logger.log('inside', 'Runner');
      runWithLogContext({ jobId: 'job-1' }, () => logger.warn('inside, in a job', 'Runner'));
      span.end();
      return span.spanContext();
    });
    logger.log('outside', 'Runner');
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toEqual(expect.objectContaining({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId }));
    expect(lines[1]).toEqual(expect.objectContaining({ jobId: 'job-1', trace_id: ids.traceId, span_id: ids.spanId }));
    expect(lines[2]).not.toHaveProperty('trace_id');
    expect(lines[2]).not.toHaveProperty('span_id');
  });
});
