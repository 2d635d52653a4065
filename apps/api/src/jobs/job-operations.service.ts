import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ApiScope, grantsScope, Principal } from '@baton/auth';
import { JobStatus } from '@baton/contracts';
import { jobMessageOf } from '@baton/messaging';
import { DeadJobFilter, JobEntity, JobOperationsRepository } from '@baton/persistence';
import { jobCacheKey, ReadCache } from '@baton/read-cache';
import { JobRelay } from './job-relay';
import { MAX_RETRY_DEAD, RetriedDead, RetryDeadDto } from './retry-dead.dto';

/** The job is not in a state the operation applies to. */
export class JobStateConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobStateConflictError';
  }
}

/** The key may act on its own jobs only. */
export class NotJobOwnerError extends Error {
  constructor() {
    super('Only an admin key may cancel a job another key submitted');
    this.name = 'NotJobOwnerError';
  }
}

/** What an operator (or the submitting backend) can do to a job after it was accepted. */
@Injectable()
export class JobOperationsService {
  constructor(
    private readonly jobs: JobOperationsRepository,
    private readonly relay: JobRelay,
    private readonly cache: ReadCache,
  ) {}

  /** A dead job back to its work queue with a fresh attempt budget. */
  async retry(jobId: string, caller: Principal): Promise<void> {
    const outcome = await this.jobs.retry(jobId, caller.tenant);
    switch (outcome.kind) {
      case 'retried':
        // Dropped before the answer: the client's next read sees the job queued, not dead.
        await this.cache.invalidate([jobCacheKey(outcome.job.tenant, jobId)]);
        // Published now if the broker is there; the relay's sweep otherwise, as for a new job.
        this.relay.dispatch(jobMessageOf(outcome.job));
        return;
      case 'not-found':
        throw new NotFoundException(`No job ${jobId}`);
      case 'conflict':
        throw new JobStateConflictError(`Job ${jobId} is ${outcome.status}: only a dead job can be retried`);
    }
  }

  /**
   * Dead jobs back to their work queues, as `retry` sends one: the caller's
   * tenant's with an `admin` key, every tenant's (or the one it names) with
   * an `operator` key.
   */
  async retryDead(request: RetryDeadDto, caller: Principal): Promise<RetriedDead> {
    const filter: DeadJobFilter = { type: request.type, tenant: deadJobsTenant(request, caller) };
    const limit = request.limit ?? MAX_RETRY_DEAD;
    if (request.dryRun) return { retried: 0, wouldRetry: await this.jobs.countDead(filter, limit) };
    const retried = await this.jobs.retryDead(filter, limit);
    await this.cache.invalidate(retried.map((job) => jobCacheKey(job.tenant, job.id)));
    for (const job of retried) this.relay.dispatch(jobMessageOf(job));
    return { retried: retried.length };
  }

  /** A job no worker holds yet becomes `cancelled`; a key without `admin` may cancel only its own. */
  async cancel(jobId: string, caller: Principal): Promise<JobEntity> {
    const byKeyId = grantsScope(caller.scopes, ApiScope.Admin) ? undefined : caller.keyId;
    const outcome = await this.jobs.cancel(jobId, caller.tenant, byKeyId);
    switch (outcome.kind) {
      case 'cancelled':
        // A queued or failed job is never cached, so there is no entry to drop
        // today; dropped all the same, so that no state cached in future can
        // outlive a cancel.
        await this.cache.invalidate([jobCacheKey(outcome.job.tenant, jobId)]);
        return outcome.job;
      case 'not-found':
        throw new NotFoundException(`No job ${jobId}`);
      case 'not-owner':
        throw new NotJobOwnerError();
      case 'conflict':
        throw new JobStateConflictError(
          outcome.status === JobStatus.Processing
            ? `Job ${jobId} is processing: a worker holds it, so it can no longer be cancelled`
            : `Job ${jobId} is ${outcome.status}: only a queued or failed job can be cancelled`,
        );
    }
  }
}

/** Whose dead jobs a caller acts on: its own tenant's, unless it is an operator; undefined for every tenant's. */
function deadJobsTenant(request: RetryDeadDto, caller: Principal): string | undefined {
  if (grantsScope(caller.scopes, ApiScope.Operator)) return request.tenant;
  if (request.tenant !== undefined) throw new ForbiddenException('Only an operator key may name a tenant');
  return caller.tenant;
}
