import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { CORE_SCHEMA } from '../data-source';
import { ReadReplica, replicaName } from './read-replica';

describe(ReadReplica.name, () => {
  const logger = new Logger('spec');
  const replica = () => new ReadReplica({ url: 'postgres://baton:secret@replica-1:5433/baton', poolSize: 1, applicationName: 'spec', schema: CORE_SCHEMA }, logger);

  beforeEach(() => {
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
  });

  it.each([
    ['postgres://baton:secret@replica-1:5433/baton', 'replica-1:5433'],
    ['postgresql://replica-2/baton', 'replica-2:5432'],
  ])('names %s by host and port only: %s', (url, name) => {
    expect(replicaName(url)).toBe(name);
  });

  // Each case: the error a read on the replica ended with, and whether reads then leave the replica alone for a while.
  it.each<[string, unknown, boolean]>([
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }), true],
    ['silent past the client-side timeout', new Error('Query read timeout'), true],
    ['silent past it, wrapped by TypeORM', new QueryFailedError('SELECT 1', [], new Error('Query read timeout')), true],
    ['shut down by an operator', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), true],
    ['a statement cancelled for a conflict with recovery', Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' }), false],
  ])('a read that failed %s: backs off %s', (_case, error, backsOff) => {
    const subject = replica();
    const now = Date.now();
    subject.failed(error, now);
    expect(subject.up).toBe(false);
    expect(subject.probeDueAt > now).toBe(backsOff);
  });
});
