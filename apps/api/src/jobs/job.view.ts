import { Static, Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { JOB_STATUSES, JOB_TYPES, jobLocation, JobRecord, jobView as sharedJobView } from '@baton/contracts';
import { FieldErrorSchema } from '../http/error-body';
import { AnyObject, Nullable, PageOf, StringEnum, Timestamp, Uuid } from '../http/schema-types';
import type { Submission, SubmissionOutcome } from './job-submission.service';

export const JobAttemptErrorSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    at: Timestamp(),
    message: Type.String(),
    stack: Type.Optional(Type.String({ description: 'For admin keys only.' })),
  },
  { title: 'JobAttemptError', description: 'One failed attempt.' },
);

export const JobViewSchema = Type.Object(
  {
    id: Uuid(),
    type: StringEnum(JOB_TYPES),
    status: StringEnum(JOB_STATUSES),
    attempts: Type.Integer({ minimum: 0, description: 'Deliveries a worker took, including one that died with its worker.' }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    result: Nullable(
      AnyObject({
        description:
          'Once completed: `{ workoutId }` for a workout, `{ invoiceId, pdfUrl }` for an invoice, `{ messageId, to, subject, acceptedAt }` for an email.',
      }),
    ),
    error: Nullable(Type.String({ description: 'Why the last attempt failed, or why the job is dead.' })),
    errors: Type.Array(JobAttemptErrorSchema, { description: 'Each failed attempt, oldest first (the last 20).' }),
    runAt: Nullable(Timestamp({ description: 'When a delayed job, or a schedule\'s tick, is due; null for a job queued at once.' })),
    scheduleId: Nullable(Uuid({ description: 'The schedule that created the job.' })),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
    completedAt: Nullable(Timestamp()),
  },
  { title: 'Job', additionalProperties: false },
);
export type JobView = Static<typeof JobViewSchema>;

export const JobPageSchema = PageOf('jobs', JobViewSchema, 'JobPage');
export type JobPage = Static<typeof JobPageSchema>;

export const JobAcceptedSchema = Type.Object(
  {
    jobId: Uuid(),
    status: StringEnum(JOB_STATUSES, { description: '`queued` for a new job, `scheduled` for one due later; a replayed request gets the job\'s current status.' }),
    statusUrl: Type.String({ description: 'Where to read the job: `/v1/jobs/<jobId>`.' }),
  },
  { title: 'JobAccepted', additionalProperties: false },
);
export type JobAccepted = Static<typeof JobAcceptedSchema>;

/**
 * A job as the API shows it, `withStacks` adding each failed attempt's
 * stack: the view shared with the `job.*` events, typed by its schema.
 */
export function jobView(job: JobRecord, withStacks = false): JobView {
  return sharedJobView(job, withStacks);
}

export function acceptedView(submission: Submission): JobAccepted {
  return { jobId: submission.jobId, status: submission.status, statusUrl: jobLocation(submission.jobId) };
}

/** `202` with a Location for a new job; `200` for a repeat of an idempotent request. */
export function replyAccepted(reply: FastifyReply, submission: Submission): JobAccepted {
  void reply.status(submission.created ? 202 : 200).header('Location', jobLocation(submission.jobId));
  if (!submission.created) void reply.header('Idempotent-Replayed', 'true');
  return acceptedView(submission);
}

const ItemIndex = () => Type.Integer({ minimum: 0, description: 'The item\'s position in `items`, from 0.' });
const ItemStatusUrl = () => Type.String({ description: 'Where to read the job: `/v1/jobs/<jobId>`.' });

export const BatchItemAcceptedSchema = Type.Object(
  { index: ItemIndex(), status: Type.Literal(202), jobId: Uuid(), statusUrl: ItemStatusUrl() },
  { title: 'BatchItemAccepted', description: 'A new job: stored, and queued or scheduled.', additionalProperties: false },
);

export const BatchItemReplayedSchema = Type.Object(
  { index: ItemIndex(), status: Type.Literal(200), jobId: Uuid(), statusUrl: ItemStatusUrl(), replayed: Type.Literal(true) },
  {
    title: 'BatchItemReplayed',
    description: 'A repeat of an earlier submission (or of an earlier item) with the same `options.idempotencyKey` and body: its job, no new one.',
    additionalProperties: false,
  },
);

export const BatchItemRefusedSchema = Type.Object(
  {
    index: ItemIndex(),
    status: Type.Union([Type.Literal(400), Type.Literal(409)], {
      description: '`400`: a field is wrong (paths relative to the item); `409`: its `options.idempotencyKey` was used before with another body.',
    }),
    errors: Type.Array(FieldErrorSchema),
  },
  { title: 'BatchItemRefused', description: 'Nothing stored for this item.', additionalProperties: false },
);

export const BatchResultSchema = Type.Object(
  { results: Type.Array(Type.Union([BatchItemAcceptedSchema, BatchItemReplayedSchema, BatchItemRefusedSchema]), { description: 'One per item, in the items\' order.' }) },
  { title: 'BatchResult', additionalProperties: false },
);
export type BatchResult = Static<typeof BatchResultSchema>;

const KEY_CONFLICT = [{ field: 'options.idempotencyKey', messages: ['idempotencyKey was already used with a different request'] }];

/** The answer to a batch: each item's outcome, by its index. */
export function batchResultView(outcomes: readonly SubmissionOutcome[]): BatchResult {
  return {
    results: outcomes.map((outcome, index): BatchResult['results'][number] => {
      switch (outcome.kind) {
        case 'submitted': {
          const { jobId } = outcome.submission;
          const statusUrl = jobLocation(jobId);
          return outcome.submission.created ? { index, status: 202, jobId, statusUrl } : { index, status: 200, jobId, statusUrl, replayed: true };
        }
        case 'invalid':
          return { index, status: 400, errors: outcome.errors };
        case 'conflict':
          return { index, status: 409, errors: KEY_CONFLICT };
      }
    }),
  };
}
