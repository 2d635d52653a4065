import { randomUUID } from 'node:crypto';
import { JobStatus, JobType, PayloadCheck } from '@baton/contracts';
import { PermanentJobFailure } from '@baton/jobs';
import { ClaimedJob, DatabaseNotConnectedError } from '@baton/persistence';
import { checkMessage, claimVerdict, failureVerdict, giveUpVerdict, handlerVerdict, HandlerResult, payloadVerdict, readBody } from './delivery-decisions';

const JOB_ID = randomUUID();
const CREATED_AT = new Date('2026-11-20T07:30:00Z');

const claimed = (status: JobStatus, attempts: number, maxAttempts = 3): ClaimedJob => ({ type: JobType.Workout, status, attempts, maxAttempts, createdAt: CREATED_AT });

/** An error as pg raises it when PostgreSQL cannot be reached. */
const connectionRefused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe(checkMessage.name, () => {
  it.each([
    ['no job id', { queue: JobType.Workout }, { action: 'dead', reason: 'message has no job id (a UUID in its messageId property)', metric: 'dead' }],
    ['a job id that is not a UUID', { queue: JobType.Workout, jobId: 'job-1' }, { action: 'dead', reason: 'message has no job id (a UUID in its messageId property)', metric: 'dead' }],
    [
      'a type other than its queue',
      { queue: JobType.Workout, jobId: JOB_ID, type: JobType.Invoice },
      { action: 'dead', reason: `message of type ${JobType.Invoice} on queue ${JobType.Workout}`, metric: 'dead' },
    ],
    ['its queue as its type', { queue: JobType.Workout, jobId: JOB_ID, type: JobType.Workout }, { step: 'claim', jobId: JOB_ID }],
    ['no type (the queue says it)', { queue: JobType.Workout, jobId: JOB_ID }, { step: 'claim', jobId: JOB_ID }],
  ])('a message with %s', (_, delivery, expected) => {
    expect(checkMessage(delivery)).toEqual(expected);
  });
});

describe(claimVerdict.name, () => {
  it.each([
    ['PostgreSQL is away', 'unavailable' as const, { action: 'pause' }],
    ['no job of the queue\'s type has the id', null, { action: 'dead', reason: `no ${JobType.Workout} job with id ${JOB_ID}`, metric: 'dead' }],
    ['the job is completed (a duplicate delivery)', claimed(JobStatus.Completed, 1), { action: 'ack', metric: 'duplicate' }],
    ['the job is completed, its attempts over max', claimed(JobStatus.Completed, 4), { action: 'ack', metric: 'duplicate' }],
    ['the job is dead', claimed(JobStatus.Dead, 3), { action: 'dead', reason: 'job is dead', metric: 'dead' }],
    ['the job was cancelled', claimed(JobStatus.Cancelled, 0), { action: 'ack', metric: 'cancelled' }],
    [
      'its attempts are over max (the last deliveries died with their worker)',
      claimed(JobStatus.Processing, 4),
      { step: 'give-up', reason: 'gave up after 3 attempts; the last ones ended with their worker' },
    ],
    ['the job is taken for its first attempt', claimed(JobStatus.Processing, 1), { step: 'read', job: claimed(JobStatus.Processing, 1) }],
    ['the job is taken for its last attempt', claimed(JobStatus.Processing, 3), { step: 'read', job: claimed(JobStatus.Processing, 3) }],
  ])('when %s', (_, job, expected) => {
    expect(claimVerdict(JobType.Workout, JOB_ID, job)).toEqual(expected);
  });
});

describe(readBody.name, () => {
  it.each([
    ['JSON', Buffer.from('{"userId":"u-1"}'), { step: 'validate', body: { userId: 'u-1' } }],
    ['JSON null (validatePayload refuses it)', Buffer.from('null'), { step: 'validate', body: null }],
    ['not JSON', Buffer.from('userId=u-1'), { step: 'give-up', reason: 'message body is not valid JSON' }],
    ['empty', Buffer.alloc(0), { step: 'give-up', reason: 'message body is not valid JSON' }],
    ['JSON in bytes that are not UTF-8', Buffer.from([0x22, 0xff, 0x22]), { step: 'give-up', reason: 'message body is not valid JSON' }],
  ])('a body that is %s', (_, body, expected) => {
    expect(readBody(body)).toEqual(expected);
  });
});

describe(payloadVerdict.name, () => {
  it.each<[string, PayloadCheck<object>, object]>([
    ['valid', { valid: true, payload: { userId: 'u-1' } }, { step: 'run', payload: { userId: 'u-1' } }],
    [
      'invalid',
      {
        valid: false,
        errors: [
          { field: 'userId', messages: ['userId must be a string', 'userId should not be empty'] },
          { field: 'sets.3.reps', messages: ['reps must be a positive number'] },
        ],
      },
      { step: 'give-up', reason: 'invalid payload: userId userId must be a string, userId should not be empty; sets.3.reps reps must be a positive number' },
    ],
  ])('a payload that is %s', (_, check, expected) => {
    expect(payloadVerdict(check)).toEqual(expected);
  });
});

describe(handlerVerdict.name, () => {
  const failed = new Error('render failed');

  it.each<[string, HandlerResult, object]>([
    ['returned nothing (applied)', { returned: undefined }, { action: 'ack', metric: 'completed' }],
    ['returned its result (applied)', { returned: { workoutId: JOB_ID } }, { action: 'ack', metric: 'completed' }],
    ['returned null (applied: only false is a duplicate)', { returned: null }, { action: 'ack', metric: 'completed' }],
    ['returned false (applied before, by another delivery)', { returned: false }, { action: 'ack', metric: 'duplicate' }],
    ['threw: PostgreSQL refused the connection', { threw: connectionRefused }, { action: 'pause' }],
    ['threw: PostgreSQL not connected yet', { threw: new DatabaseNotConnectedError() }, { action: 'pause' }],
    ['threw a PermanentJobFailure', { threw: new PermanentJobFailure('550 mailbox unavailable') }, { step: 'give-up', reason: '550 mailbox unavailable' }],
    ['threw an error', { threw: failed }, { step: 'record-failure', failure: { message: 'render failed', stack: failed.stack } }],
    ['threw an error without a message', { threw: new TypeError() }, { step: 'record-failure', failure: { message: 'TypeError', stack: expect.stringContaining('TypeError') } }],
    ['threw a string', { threw: 'out of paper' }, { step: 'record-failure', failure: { message: 'out of paper', stack: undefined } }],
  ])('the handler %s', (_, result, expected) => {
    expect(handlerVerdict(result)).toEqual(expected);
  });
});

describe(failureVerdict.name, () => {
  const failure = { message: 'render failed' };

  it.each([
    ['failed, at attempt 2 of 3', JobStatus.Failed as const, 2, { action: 'retry', nextAttempt: 3, metric: 'retry' }],
    ['failed, at attempt 1 of 3', JobStatus.Failed as const, 1, { action: 'retry', nextAttempt: 2, metric: 'retry' }],
    ['dead, at attempt 3 of 3 (its attempts are spent)', JobStatus.Dead as const, 3, { action: 'dead', reason: 'render failed', metric: 'dead' }],
    ['nothing: a concurrent delivery finished the job meanwhile', null, 2, { action: 'ack', metric: 'duplicate' }],
    ['nothing: PostgreSQL is away', 'unavailable' as const, 2, { action: 'pause' }],
  ])('recording the failure left %s', (_, recorded, attempts, expected) => {
    expect(failureVerdict(recorded, attempts, failure)).toEqual(expected);
  });
});

describe(giveUpVerdict.name, () => {
  const reason = 'message body is not valid JSON';

  it.each([
    ['dead', JobStatus.Dead as const, { action: 'dead', reason, metric: 'dead' }],
    ['nothing: the job was finished meanwhile (the message is dead-lettered all the same)', null, { action: 'dead', reason, metric: 'dead' }],
    ['nothing: PostgreSQL is away', 'unavailable' as const, { action: 'pause' }],
  ])('recording the final failure left %s', (_, recorded, expected) => {
    expect(giveUpVerdict(recorded, reason)).toEqual(expected);
  });
});
