import { ROOT_CONTEXT } from '@opentelemetry/api';
import { inDatabaseSpan, inPublishSpan, inRepublishSpan } from './spans';
import { contextFrom, currentTraceContext, traceContextFromHeaders, traceHeaders } from './trace-context';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('trace context with tracing off', () => {
  it.each([
    ['no headers', undefined, undefined],
    ['no traceparent', { 'x-baton-attempt': 2 }, undefined],
    ['a traceparent', { traceparent: TRACEPARENT }, { traceparent: TRACEPARENT }],
    ['a traceparent and a tracestate', { traceparent: TRACEPARENT, tracestate: 'vendor=1' }, { traceparent: TRACEPARENT, tracestate: 'vendor=1' }],
    // amqplib hands long strings back as Buffers.
    ['Buffers', { traceparent: Buffer.from(TRACEPARENT), tracestate: Buffer.from('vendor=1') }, { traceparent: TRACEPARENT, tracestate: 'vendor=1' }],
    ['a traceparent of another type', { traceparent: 42 }, undefined],
  ])('reads %s from message headers', (_case, headers, expected) => {
    expect(traceContextFromHeaders(headers)).toEqual(expected);
  });

  it.each([
    [undefined, {}],
    [null, {}],
    [{ traceparent: TRACEPARENT }, { traceparent: TRACEPARENT }],
    [{ traceparent: TRACEPARENT, tracestate: 'vendor=1' }, { traceparent: TRACEPARENT, tracestate: 'vendor=1' }],
  ])('writes %j as headers %j', (traceContext, expected) => {
    expect(traceHeaders(traceContext)).toEqual(expected);
  });

  it('has no current trace context, and parents nothing on a stored one it cannot use', () => {
    expect(currentTraceContext()).toBeNull();
    expect(contextFrom({ traceparent: 'not a traceparent' })).toBe(ROOT_CONTEXT);
    expect(contextFrom(null)).toBe(ROOT_CONTEXT);
  });

  it('hands a job’s stored trace context on unchanged, so that a process that does not trace still continues the job’s trace', async () => {
    const carried = { traceparent: TRACEPARENT, tracestate: 'vendor=1' };
    await expect(inPublishSpan({ destination: 'baton.jobs', messageId: 'job' }, carried, async (traceContext) => traceContext)).resolves.toBe(carried);
    await expect(inPublishSpan({ destination: 'baton.jobs' }, null, async (traceContext) => traceContext)).resolves.toBeUndefined();
    // A retry keeps the headers its message came with.
    await expect(inRepublishSpan({ destination: 'workouts.retry.1000ms' }, async (traceContext) => traceContext)).resolves.toBeUndefined();
  });

  it('runs database work as it is, its failure included', async () => {
    await expect(inDatabaseSpan('UPDATE', 'jobs', async () => 'done')).resolves.toBe('done');
    await expect(inDatabaseSpan('UPDATE', 'jobs', async () => Promise.reject(new Error('deadlock')))).rejects.toThrow('deadlock');
  });
});
