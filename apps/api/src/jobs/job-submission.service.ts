import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Principal } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { FieldError, JobStatus, JobType } from '@baton/contracts';
import { JobOptions } from '@baton/jobs';
import { annotateLogContext, Metrics } from '@baton/observability';
import { JobIntakeRepository } from '@baton/persistence';
import { JobRelay } from './job-relay';
import { requestHash } from './request-hash';

/** The idempotency key was used before, with a different request. */
export class IdempotencyConflictError extends Error {
  constructor() {
    super('Idempotency-Key was already used with a different request');
    this.name = 'IdempotencyConflictError';
  }
}

export interface Submission {
  jobId: string;
  status: JobStatus;
  /** False when an earlier request with the same idempotency key created the job. */
  created: boolean;
}

export interface SubmissionOptions {
  /** Whose key submits: the job belongs to its tenant, and idempotency keys are the tenant's own. */
  caller: Principal;
  correlationId: string;
  /** The Idempotency-Key header's. */
  idempotencyKey?: string;
}

/** A submission's payload and its options, as the API checked them. */
export interface JobSubmission {
  payload: object;
  options?: JobOptions;
}

/** What a submission's options and headers make of it. */
export interface SubmissionPlan {
  /** When the job is due; null: at once. */
  runAt: Date | null;
  idempotencyKey?: string;
}

@Injectable()
export class JobSubmissionService {
  constructor(
    private readonly jobs: JobIntakeRepository,
    private readonly relay: JobRelay,
    private readonly config: BatonConfig,
    private readonly metrics: Metrics,
  ) {}

  /**
   * When the options say the job is due, and its idempotency key (the
   * header's, or `options.idempotencyKey`); or the fields that are wrong: a
   * time further ahead than JOB_MAX_DELAY_SEC, or two different keys.
   */
  plan(options: JobOptions | undefined, headerKey?: string, now = Date.now()): SubmissionPlan | { errors: FieldError[] } {
    const errors: FieldError[] = [];
    const maxDelaySec = this.config.JOB_MAX_DELAY_SEC;
    let runAt: Date | null = null;
    if (options?.runAt != null) {
      runAt = new Date(options.runAt);
      if (runAt.getTime() - now > maxDelaySec * 1000) errors.push({ field: 'options.runAt', messages: [`runAt must be at most ${maxDelaySec} seconds ahead (JOB_MAX_DELAY_SEC)`] });
    }
    if (options?.delaySec != null) {
      if (options.delaySec > maxDelaySec) errors.push({ field: 'options.delaySec', messages: [`delaySec must not be greater than ${maxDelaySec} (JOB_MAX_DELAY_SEC)`] });
      runAt = options.delaySec > 0 ? new Date(now + options.delaySec * 1000) : null;
    }
    const optionKey = options?.idempotencyKey ?? undefined;
    if (headerKey !== undefined && optionKey !== undefined && headerKey !== optionKey) {
      errors.push({ field: 'options.idempotencyKey', messages: ['idempotencyKey differs from the Idempotency-Key header'] });
    }
    return errors.length > 0 ? { errors } : { runAt, idempotencyKey: headerKey ?? optionKey };
  }

  /** Commits the job, then hands it to the relay, unless it is due later: once this resolves, the job is safe. */
  async submit(type: JobType, submission: JobSubmission, plan: SubmissionPlan, options: Omit<SubmissionOptions, 'idempotencyKey'>): Promise<Submission> {
    const jobId = randomUUID();
    annotateLogContext({ jobId, jobType: type });
    const { caller, correlationId } = options;
    const { payload } = submission;
    const { idempotencyKey, runAt } = plan;
    const outcome = await this.jobs.insert({
      id: jobId,
      type,
      tenant: caller.tenant,
      apiKeyId: caller.keyId,
      payload,
      options: submission.options,
      runAt,
      maxAttempts: this.config.JOB_MAX_ATTEMPTS,
      correlationId,
      idempotencyKey,
      requestHash: idempotencyKey === undefined ? undefined : requestHash(type, hashedBody(submission)),
    });
    switch (outcome.kind) {
      case 'created':
        this.metrics.jobsAccepted.inc({ type });
        if (outcome.status === JobStatus.Queued) this.relay.dispatch({ jobId, type, attempt: 1, correlationId, payload });
        return { jobId, status: outcome.status, created: true };
      case 'replayed':
        annotateLogContext({ jobId: outcome.jobId });
        return { jobId: outcome.jobId, status: outcome.status, created: false };
      case 'conflict':
        throw new IdempotencyConflictError();
    }
  }
}

/**
 * What an idempotency key is bound to: the body as sent, options included
 * (a job due at another time is another request), but not the key itself,
 * which may come as the header or as `options.idempotencyKey`.
 */
function hashedBody({ payload, options }: JobSubmission): object {
  if (!options) return payload;
  const { idempotencyKey: _key, ...rest } = options;
  // An option left out and one given as null mean the same; and the checked
  // options carry every field of their class, given or not.
  const bound = Object.fromEntries(Object.entries(rest).filter(([, value]) => value != null));
  return Object.keys(bound).length > 0 ? { ...payload, options: bound } : payload;
}
