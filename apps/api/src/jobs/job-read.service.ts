import { Injectable } from '@nestjs/common';
import { isExpiringStatus, JobRecord } from '@baton/contracts';
import { JobEntity, JobOperationsRepository } from '@baton/persistence';
import { jobCacheKey, ReadCache } from '@baton/read-cache';

/** A job's timestamps, which an entry (JSON) holds as ISO 8601 strings. */
type JobTimestamp = 'runAt' | 'createdAt' | 'updatedAt' | 'completedAt';

/**
 * What the cache keeps of a job: exactly what its view is made of (never its
 * payload), stacks included. The view is applied per caller on the way out,
 * so a key without `admin` never sees the stacks an admin's read stored.
 */
export type CachedJob = Omit<JobRecord, JobTimestamp> & { runAt: string | null; createdAt: string; updatedAt: string; completedAt: string | null };

/**
 * `GET /v1/jobs/:id` through the read cache. Only a job no worker changes
 * any more is cached (completed, cancelled, dead); a retry (of a dead job)
 * and retention's deletion drop it (JobOperationsService, the workers'
 * JobRetentionSweep, the CLI). A job that is not found is never cached:
 * the 404 or 410 comes from the database each time.
 */
@Injectable()
export class JobReadService {
  constructor(
    private readonly jobs: JobOperationsRepository,
    private readonly cache: ReadCache,
  ) {}

  async findById(jobId: string, tenant: string): Promise<JobRecord | null> {
    const cached = await this.cache.read(
      jobCacheKey(tenant, jobId),
      async () => {
        const job = await this.jobs.findById(jobId, tenant);
        return job && cachedJob(job);
      },
      (job) => isExpiringStatus(job.status),
    );
    return cached && jobRecord(cached);
  }
}

/** The entry of a job, as JSON: what `jobRecord` makes a JobRecord of again. */
export function cachedJob(job: JobEntity): CachedJob {
  const { id, type, status, attempts, maxAttempts, result, lastError, errors, scheduleId, runAt, createdAt, updatedAt, completedAt } = job;
  return {
    id,
    type,
    status,
    attempts,
    maxAttempts,
    result,
    lastError,
    errors,
    scheduleId,
    runAt: runAt?.toISOString() ?? null,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    completedAt: completedAt?.toISOString() ?? null,
  };
}

export function jobRecord(job: CachedJob): JobRecord {
  const { runAt, createdAt, updatedAt, completedAt } = job;
  return {
    ...job,
    runAt: runAt === null ? null : new Date(runAt),
    createdAt: new Date(createdAt),
    updatedAt: new Date(updatedAt),
    completedAt: completedAt === null ? null : new Date(completedAt),
  };
}
