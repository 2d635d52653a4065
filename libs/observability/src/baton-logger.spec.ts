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
