import { setTimeout as delay } from 'node:timers/promises';
import { EXPIRING_STATUSES, isExpiringStatus, isUuid, JOB_STATUSES, JOB_TYPES, JobStatus } from '@baton/contracts';
import { jobMessageOf } from '@baton/messaging';
import { JobEntity } from '@baton/persistence';
import { jobCacheKey } from '@baton/read-cache';
import { countArgument, durationArgument, jobTypeArgument, parseCommand } from '../cli-arguments';
import { CliContext } from '../cli-context';
import { CommandError, UsageError } from '../cli-error';
import { isoMinute, oneLine, renderTable } from '../table';

export const JOBS_USAGE = `jobs list [--status <s>] [--type <t>] [--tenant <name>] [--limit N] [--json]
                                jobs newest first (every tenant unless --tenant); statuses: ${JOB_STATUSES.join(', ')}
  jobs retry <id>               a dead job back to its work queue with a fresh attempt budget
  jobs purge --status <s> --older-than <7d|12h|30m|90s> [--type <t>] [--tenant <name>]
                                deletes finished jobs (${EXPIRING_STATUSES.join(', ')}) now, as retention
                                does; their workouts and invoices stay, GET /v1/jobs/:id answers 410`;

const MAX_LIST = 1000;
// As the workers' sweep: short transactions that never hold the accept path up.
const PURGE_BATCH = 1_000;
// While a worker's sweep holds a type's lock (one batch), try again shortly.
const PURGE_BUSY_PAUSE_MS = 100;

/** `jobs list | retry | purge`. */
export async function jobs(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'list') return list(rest, context);
  if (subcommand === 'retry') return retry(rest, context);
  if (subcommand === 'purge') return purge(rest, context);
  throw new UsageError(subcommand === undefined ? 'jobs needs a subcommand: list, retry or purge' : `unknown jobs subcommand: ${subcommand}`);
}

async function list(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, {
    status: { type: 'string' },
    type: { type: 'string' },
    tenant: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.status !== undefined && !(JOB_STATUSES as readonly string[]).includes(values.status)) {
    throw new UsageError(`--status must be one of ${JOB_STATUSES.join(', ')} (got ${values.status})`);
  }
  const type = values.type === undefined ? undefined : jobTypeArgument(values.type, '--type');
  const limit = countArgument(values.limit, 'limit', 50, MAX_LIST);
  const page = await (await context.jobOperations()).list({ status: values.status as JobStatus | undefined, type, tenant: values.tenant }, limit);
  if (values.json) {
    context.output.out(JSON.stringify(page.jobs.map(describeJob)));
    return;
  }
  if (page.jobs.length === 0) {
    context.output.err('no jobs');
    return;
  }
  const rows = page.jobs.map((job) => [
    job.id,
    job.tenant,
    job.type,
    job.status,
    `${job.attempts}/${job.maxAttempts}`,
    isoMinute(job.createdAt),
    oneLine(job.lastError ?? ''),
  ]);
  context.output.out(renderTable(['ID', 'TENANT', 'TYPE', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST ERROR'], rows));
  if (page.nextCursor) context.output.err(`(the ${limit} newest; --limit shows more)`);
}

async function retry(args: string[], context: CliContext): Promise<void> {
  const { positionals } = parseCommand(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('jobs retry takes one job id (see jobs list --status dead)');
  const [id] = positionals;
  if (!isUuid(id)) throw new CommandError(`${id} is not a job id (a UUID)`);
  const repository = await context.jobOperations();
  const outcome = await repository.retry(id.toLowerCase());
  if (outcome.kind === 'not-found') throw new CommandError(`no job ${id}`);
  if (outcome.kind === 'conflict') throw new CommandError(`job ${id} is ${outcome.status}: only a dead job can be retried`);
  const { job } = outcome;
  await (await context.readCache()).invalidate([jobCacheKey(job.tenant, job.id)]);
  // Committed first, unpublished: if the publish below fails, the API's relay publishes it.
  await (await context.broker()).publishJob(jobMessageOf(job));
  await (await context.jobIntake()).markPublished([job.id]);
  context.output.out(`job ${job.id} queued again (${job.type}), with a fresh attempt budget`);
}

async function purge(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, {
    status: { type: 'string' },
    'older-than': { type: 'string' },
    type: { type: 'string' },
    tenant: { type: 'string' },
  });
  if (values.status === undefined || values['older-than'] === undefined) throw new UsageError('jobs purge needs --status and --older-than');
  const status = values.status;
  if (!isExpiringStatus(status)) throw new UsageError(`--status must be one of ${EXPIRING_STATUSES.join(', ')}: only finished jobs can be purged (got ${status})`);
  const olderThanSec = durationArgument(values['older-than'], 'older-than');
  const types = values.type === undefined ? JOB_TYPES : [jobTypeArgument(values.type, '--type')];
  const repository = await context.jobRetention();
  const cache = await context.readCache();
  const counts: string[] = [];
  let total = 0;
  for (const type of types) {
    let removed = 0;
    for (;;) {
      const batch = await repository.expireBatch({ type, status, olderThanSec, tenant: values.tenant }, PURGE_BATCH);
      if (batch === null) {
        await delay(PURGE_BUSY_PAUSE_MS);
        continue;
      }
      removed += batch.length;
      await cache.invalidate(batch.map((job) => jobCacheKey(job.tenant, job.id)));
      if (batch.length < PURGE_BATCH) break;
    }
    total += removed;
    counts.push(`${type}: ${removed}`);
  }
  const whose = values.tenant === undefined ? '' : ` of tenant ${values.tenant}`;
  context.output.out(`deleted ${total} ${status} jobs${whose} finished more than ${values['older-than']} ago (${counts.join(', ')})`);
}

function describeJob(job: JobEntity) {
  return {
    id: job.id,
    tenant: job.tenant,
    type: job.type,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    error: job.lastError,
    errors: job.errors,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    completedAt: job.completedAt?.toISOString() ?? null,
  };
}
