import type { FastifyReply } from 'fastify';
import { jobLocation } from '@baton/contracts';
import { JobEntity } from '@baton/persistence';
import type { Submission } from './job-submission.service';

/** A job as the API shows it; `withStacks` adds each failed attempt's stack. */
export function jobView(job: JobEntity, withStacks = false) {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    result: job.result,
    error: job.lastError,
    errors: job.errors.map(({ attempt, at, message, stack }) => (withStacks && stack ? { attempt, at, message, stack } : { attempt, at, message })),
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    completedAt: job.completedAt?.toISOString() ?? null,
  };
}

export function acceptedView(submission: Submission) {
  return { jobId: submission.jobId, status: submission.status, statusUrl: jobLocation(submission.jobId) };
}

/** `202` with a Location for a new job; `200` for a repeat of an idempotent request. */
export function replyAccepted(reply: FastifyReply, submission: Submission) {
  void reply.status(submission.created ? 202 : 200).header('Location', jobLocation(submission.jobId));
  if (!submission.created) void reply.header('Idempotent-Replayed', 'true');
  return acceptedView(submission);
}
