import type { FastifyReply } from 'fastify';
import { jobLocation } from '@baton/contracts';
import type { Submission } from './job-submission.service';

/** A job as the API shows it: one view, shared with the `job.*` events. */
export { jobView } from '@baton/contracts';

export function acceptedView(submission: Submission) {
  return { jobId: submission.jobId, status: submission.status, statusUrl: jobLocation(submission.jobId) };
}

/** `202` with a Location for a new job; `200` for a repeat of an idempotent request. */
export function replyAccepted(reply: FastifyReply, submission: Submission) {
  void reply.status(submission.created ? 202 : 200).header('Location', jobLocation(submission.jobId));
  if (!submission.created) void reply.header('Idempotent-Replayed', 'true');
  return acceptedView(submission);
}
