import { isUuid, JOB_STATUSES, JobStatus } from '@baton/contracts';
import { jobMessageOf } from '@baton/messaging';
import { JobEntity } from '@baton/persistence';
import { countArgument, jobTypeArgument, parseCommand } from '../cli-arguments';
import { CliContext } from '../cli-context';
import { CommandError, UsageError } from '../cli-error';
import { isoMinute, oneLine, renderTable } from '../table';

export const JOBS_USAGE = `jobs list [--status <s>] [--type <t>] [--tenant <name>] [--limit N] [--json]
                                jobs newest first (every tenant unless --tenant); statuses: ${JOB_STATUSES.join(', ')}
  jobs retry <id>               a dead job back to its work queue with a fresh attempt budget`;

const MAX_LIST = 1000;

/** `jobs list | retry`. */
export async function jobs(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'list') return list(rest, context);
  if (subcommand === 'retry') return retry(rest, context);
  throw new UsageError(subcommand === undefined ? 'jobs needs a subcommand: list or retry' : `unknown jobs subcommand: ${subcommand}`);
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
  // Committed first, unpublished: if the publish below fails, the API's relay publishes it.
  await (await context.broker()).publishJob(jobMessageOf(job));
  await (await context.jobIntake()).markPublished([job.id]);
  context.output.out(`job ${job.id} queued again (${job.type}), with a fresh attempt budget`);
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
