import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Principal } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { JobStatus, JobType } from '@baton/contracts';
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

  /** Commits the job, then hands it to the relay: once this resolves, the job is safe. */
  async submit(type: JobType, payload: object, options: SubmissionOptions): Promise<Submission> {
    const jobId = randomUUID();
    annotateLogContext({ jobId, jobType: type });
    const { caller, correlationId, idempotencyKey } = options;
    const outcome = await this.jobs.insert({
      id: jobId,
      type,
      tenant: caller.tenant,
      apiKeyId: caller.keyId,
      payload,
      maxAttempts: this.config.JOB_MAX_ATTEMPTS,
      correlationId,
      idempotencyKey,
      requestHash: idempotencyKey === undefined ? undefined : requestHash(type, payload),
    });
    switch (outcome.kind) {
      case 'created':
        this.metrics.jobsAccepted.inc({ type });
        this.relay.dispatch({ jobId, type, attempt: 1, correlationId, payload });
        return { jobId, status: JobStatus.Queued, created: true };
      case 'replayed':
        annotateLogContext({ jobId: outcome.jobId });
        return { jobId: outcome.jobId, status: outcome.status, created: false };
      case 'conflict':
        throw new IdempotencyConflictError();
    }
  }
}
