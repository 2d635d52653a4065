import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Principal } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { FieldError, JobStatus, JobType } from '@baton/contracts';
import { jobDefinition, JobOptions } from '@baton/jobs';
import { annotateLogContext, Metrics } from '@baton/observability';
import { InsertOutcome, JobIntakeRepository, NewJob } from '@baton/persistence';
import { currentTraceContext } from '@baton/tracing';
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

/** An item of a batch as its body was checked: a submission, or the fields that are wrong with it. */
export type BatchItem = JobSubmission | { errors: FieldError[] };

/** What became of a submission. */
export type SubmissionOutcome =
  | { kind: 'submitted'; submission: Submission }
  /** Its body, its options or the type's admission check refused it: nothing stored. */
  | { kind: 'invalid'; errors: FieldError[] }
  /** Its idempotency key was used before with a different request. */
  | { kind: 'conflict' };

@Injectable()
export class JobSubmissionService {
  constructor(
    private readonly jobs: JobIntakeRepository,
    private readonly relay: JobRelay,
    private readonly config: BatonConfig,
    private readonly metrics: Metrics,
    private readonly modules: ModuleRef,
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

  /**
   * The plan of a submission (plan()), once the job type's admission check,
   * if it has one, has found nothing wrong with its payload; or the fields
   * that are wrong.
   */
  async admit(type: JobType, submission: JobSubmission, tenant: string, headerKey?: string): Promise<SubmissionPlan | { errors: FieldError[] }> {
    const plan = this.plan(submission.options, headerKey);
    const admission = jobDefinition(type).admission;
    if ('errors' in plan || !admission) return plan;
    const errors = await this.modules.get(admission, { strict: false }).check(submission.payload, tenant);
    return errors.length > 0 ? { errors } : plan;
  }

  /** Commits the job, then hands it to the relay, unless it is due later: once this resolves, the job is safe. */
  async submit(type: JobType, submission: JobSubmission, plan: SubmissionPlan, options: Omit<SubmissionOptions, 'idempotencyKey'>): Promise<Submission> {
    const job = this.newJob(type, submission, plan, options);
    annotateLogContext({ jobId: job.id, jobType: type });
    const outcome = this.accepted(job, await this.jobs.insert(job));
    if (outcome.kind === 'conflict') throw new IdempotencyConflictError();
    if (!outcome.submission.created) annotateLogContext({ jobId: outcome.submission.jobId });
    return outcome.submission;
  }

  /**
   * Submits the items of a batch whose bodies were valid and which admit()
   * admits, committing them in one transaction, then hands each new job to
   * the relay as submit() does; answers every item, in order. An item's
   * key is its own (`options.idempotencyKey`): an item with the key of an
   * earlier item of the batch is a repeat of that item.
   */
  async submitBatch(type: JobType, items: readonly BatchItem[], options: Omit<SubmissionOptions, 'idempotencyKey'>): Promise<SubmissionOutcome[]> {
    annotateLogContext({ jobType: type });
    const outcomes: SubmissionOutcome[] = new Array(items.length);
    const admitted: Array<{ index: number; job: NewJob }> = [];
    await Promise.all(
      items.map(async (item, index) => {
        if ('errors' in item) {
          outcomes[index] = { kind: 'invalid', errors: item.errors };
          return;
        }
        const plan = await this.admit(type, item, options.caller.tenant);
        if ('errors' in plan) outcomes[index] = { kind: 'invalid', errors: plan.errors };
        else admitted.push({ index, job: this.newJob(type, item, plan, options) });
      }),
    );
    admitted.sort((a, b) => a.index - b.index);
    const inserted = await this.jobs.insertBatch(admitted.map(({ job }) => job));
    admitted.forEach(({ index, job }, position) => (outcomes[index] = this.accepted(job, inserted[position])));
    return outcomes;
  }

  private newJob(type: JobType, submission: JobSubmission, plan: SubmissionPlan, options: Omit<SubmissionOptions, 'idempotencyKey'>): NewJob {
    const { caller, correlationId } = options;
    const { idempotencyKey, runAt } = plan;
    return {
      id: randomUUID(),
      type,
      tenant: caller.tenant,
      apiKeyId: caller.keyId,
      payload: submission.payload,
      options: submission.options,
      runAt,
      maxAttempts: this.config.JOB_MAX_ATTEMPTS,
      correlationId,
      idempotencyKey,
      requestHash: idempotencyKey === undefined ? undefined : requestHash(type, hashedBody(submission)),
      // The request's span: the job's publishes, whenever they happen, continue its trace.
      traceContext: currentTraceContext(),
    };
  }

  /** What an insert made of a job: counted and handed to the relay when it is new and due now. */
  private accepted(job: NewJob, outcome: InsertOutcome): Exclude<SubmissionOutcome, { kind: 'invalid' }> {
    switch (outcome.kind) {
      case 'created':
        this.metrics.jobsAccepted.inc({ type: job.type });
        if (outcome.status === JobStatus.Queued) {
          this.relay.dispatch({ jobId: job.id, type: job.type, attempt: 1, correlationId: job.correlationId, payload: job.payload, traceContext: job.traceContext ?? undefined });
        } else if (job.runAt) this.relay.expectDue(job.runAt);
        return { kind: 'submitted', submission: { jobId: job.id, status: outcome.status, created: true } };
      case 'replayed':
        return { kind: 'submitted', submission: { jobId: outcome.jobId, status: outcome.status, created: false } };
      case 'conflict':
        return { kind: 'conflict' };
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
