import { Static, Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { JOB_STATUSES, JOB_TYPES, jobLocation, JobRecord, jobView as sharedJobView } from '@baton/contracts';
import { AnyObject, Nullable, PageOf, StringEnum, Timestamp, Uuid } from '../http/schema-types';
import type { Submission } from './job-submission.service';

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
