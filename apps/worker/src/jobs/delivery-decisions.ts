/**
 * What a delivery means, decided from what JobRunner learnt (the message,
 * the job's row after the claim, the handler's result, the status a failure
 * left): pure functions, no I/O. JobRunner runs the database calls between
 * them and carries out each decision; the transport settles the verdict.
 */
import { isUuid, JobStatus, JobType, PayloadCheck } from '@baton/contracts';
import { PermanentJobFailure } from '@baton/jobs';
import { JobDelivery } from '@baton/messaging';
import { AttemptFailure, ClaimedJob, isDatabaseUnavailable } from '@baton/persistence';

/** A delivery's end: how the transport settles it, and what it counts as in the job metrics. */
export type DeliveryVerdict =
  | { action: 'ack'; metric: 'completed' | 'duplicate' | 'cancelled' }
  | { action: 'retry'; nextAttempt: number; metric: 'retry' }
  | { action: 'dead'; reason: string; metric: 'dead' }
  | { action: 'pause' };

/** What a database call answers when PostgreSQL is away (JobRunner's guard): the delivery waits, it does not fail. */
export type Unavailable = 'unavailable';

/** Record the failure as final (the job is dead, no retry can help), then dead-letter the message. */
export type GiveUp = { step: 'give-up'; reason: string };

/** Into the dead-letter queue, with the reason. */
export type DeadVerdict = Extract<DeliveryVerdict, { action: 'dead' }>;

const dead = (reason: string): DeadVerdict => ({ action: 'dead', reason, metric: 'dead' });

/**
 * The message alone: one that names no job, or that says it is another
 * type than its queue's, is dead-lettered without touching any job.
 */
export function checkMessage(delivery: Pick<JobDelivery, 'queue' | 'jobId' | 'type'>): DeadVerdict | { step: 'claim'; jobId: string } {
  const { jobId, queue } = delivery;
  if (!jobId || !isUuid(jobId)) return dead('message has no job id (a UUID in its messageId property)');
  if (delivery.type && delivery.type !== queue) return dead(`message of type ${delivery.type} on queue ${queue}`);
  return { step: 'claim', jobId };
}

/**
 * The claim's verdict: the job as the claim left it. A finished job is not
 * run again; a job whose attempts were spent by deliveries that never
 * reported back (their worker died) is given up.
 */
export function claimVerdict(queue: JobType, jobId: string, claimed: ClaimedJob | null | Unavailable): DeliveryVerdict | GiveUp | { step: 'read'; job: ClaimedJob } {
  if (claimed === 'unavailable') return { action: 'pause' };
  if (!claimed) return dead(`no ${queue} job with id ${jobId}`);
  if (claimed.status === JobStatus.Completed) return { action: 'ack', metric: 'duplicate' };
  if (claimed.status === JobStatus.Dead) return dead('job is dead');
  if (claimed.status === JobStatus.Cancelled) return { action: 'ack', metric: 'cancelled' };
  if (claimed.attempts > claimed.maxAttempts) {
    // Only a delivery that never reported back (its worker died) gets here.
    return { step: 'give-up', reason: `gave up after ${claimed.maxAttempts} attempts; the last ones ended with their worker` };
  }
  return { step: 'read', job: claimed };
}

// As strict as the API: bytes that are not UTF-8 are refused, not replaced with U+FFFD.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as JSON, for validatePayload; given up when it is not valid
 * UTF-8 JSON (no retry changes the bytes). Keys such as __proto__ are
 * refused later, by validatePayload.
 */
export function readBody(body: Buffer): GiveUp | { step: 'validate'; body: unknown } {
  try {
    return { step: 'validate', body: JSON.parse(STRICT_UTF8.decode(body)) };
  } catch {
    return { step: 'give-up', reason: 'message body is not valid JSON' };
  }
}

/** The payload check's verdict: an invalid payload is given up, naming each field's problems. */
export function payloadVerdict(check: PayloadCheck<object>): GiveUp | { step: 'run'; payload: object } {
  if (check.valid) return { step: 'run', payload: check.payload };
  return { step: 'give-up', reason: `invalid payload: ${check.errors.map((e) => `${e.field} ${e.messages.join(', ')}`).join('; ')}` };
}

/** What the handler did: returned (false: the effect was applied before, by another delivery), or threw. */
export type HandlerResult = { returned: unknown } | { threw: unknown };

/**
 * The handler's result: done, a duplicate, a wait for PostgreSQL, a
 * failure no retry can mend (PermanentJobFailure), or a failed attempt to
 * record (retried while attempts remain).
 */
export function handlerVerdict(result: HandlerResult): DeliveryVerdict | GiveUp | { step: 'record-failure'; failure: AttemptFailure } {
  if ('returned' in result) return result.returned === false ? { action: 'ack', metric: 'duplicate' } : { action: 'ack', metric: 'completed' };
  const error = result.threw;
  if (isDatabaseUnavailable(error)) return { action: 'pause' };
  if (error instanceof PermanentJobFailure) return { step: 'give-up', reason: error.message };
  return {
    step: 'record-failure',
    failure: { message: error instanceof Error ? error.message || error.name : String(error), stack: error instanceof Error ? error.stack : undefined },
  };
}

/**
 * The verdict on a failed attempt, from the status recording it left:
 * `failed` is retried with the next attempt, `dead` (attempts spent) is
 * dead-lettered, and null means a concurrent delivery of the same job
 * finished it meanwhile.
 */
export function failureVerdict(
  recorded: JobStatus.Failed | JobStatus.Dead | null | Unavailable,
  attempts: number,
  failure: AttemptFailure,
): DeliveryVerdict {
  if (recorded === 'unavailable') return { action: 'pause' };
  if (recorded === null) return { action: 'ack', metric: 'duplicate' };
  if (recorded === JobStatus.Dead) return dead(failure.message);
  return { action: 'retry', nextAttempt: attempts + 1, metric: 'retry' };
}

/** The verdict on giving up, once the final failure is recorded (or the job was finished meanwhile): dead-lettered. */
export function giveUpVerdict(recorded: JobStatus.Failed | JobStatus.Dead | null | Unavailable, reason: string): DeliveryVerdict {
  return recorded === 'unavailable' ? { action: 'pause' } : dead(reason);
}
