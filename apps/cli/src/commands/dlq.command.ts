import { isUuid, JOB_TYPES, JobStatus } from '@baton/contracts';
import { jobMessageOf } from '@baton/messaging';
import { jobCacheKey } from '@baton/read-cache';
import { countArgument, jobTypeArgument, parseCommand } from '../cli-arguments';
import { CliContext } from '../cli-context';
import { CommandError, UsageError } from '../cli-error';

export const DLQ_USAGE = `dlq replay <queue> [--limit N] replay dead letters (queue: a job type, ${JOB_TYPES.join(', ')}, or workouts.dead...): each dead
                                job goes back to its work queue with a fresh attempt budget; letters of jobs
                                retried or finished since are dropped, letters naming no job are kept
  dlq purge <queue> --yes       delete every dead letter of the queue (the jobs stay dead in PostgreSQL)`;

const MAX_REPLAY = 100_000;

/** `dlq replay | purge`. */
export async function dlq(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'replay') return replay(rest, context);
  if (subcommand === 'purge') return purge(rest, context);
  throw new UsageError(subcommand === undefined ? 'dlq needs a subcommand: replay or purge' : `unknown dlq subcommand: ${subcommand}`);
}

async function replay(args: string[], context: CliContext): Promise<void> {
  const { values, positionals } = parseCommand(args, { limit: { type: 'string' } }, true);
  const type = queueArgument(positionals, 'replay');
  const limit = countArgument(values.limit, 'limit', MAX_REPLAY, MAX_REPLAY);
  const jobs = await context.jobOperations();
  const broker = await context.broker();
  const cache = await context.readCache();
  const report = await broker.replayDeadLetters(type, limit, async (jobId) => {
    if (jobId === undefined || !isUuid(jobId)) return 'keep';
    const outcome = await jobs.retry(jobId);
    if (outcome.kind === 'retried') {
      await cache.invalidate([jobCacheKey(outcome.job.tenant, jobId)]);
      return { replay: jobMessageOf(outcome.job) };
    }
    // Its job was retried or finished since it was dead-lettered: the letter is history.
    if (outcome.kind === 'conflict' && outcome.status !== JobStatus.Dead) return 'drop';
    return 'keep';
  });
  await (await context.jobIntake()).markPublished(report.replayed);
  context.output.out(`${type}.dead: replayed ${report.replayed.length}, dropped ${report.dropped} obsolete, kept ${report.kept} naming no job`);
}

async function purge(args: string[], context: CliContext): Promise<void> {
  const { values, positionals } = parseCommand(args, { yes: { type: 'boolean' } }, true);
  const type = queueArgument(positionals, 'purge');
  if (!values.yes) throw new CommandError(`dlq purge deletes every dead letter of ${type}.dead for good: run it again with --yes`);
  const purged = await (await context.broker()).purgeDeadLetters(type);
  context.output.out(`${type}.dead: purged ${purged} dead letters`);
}

function queueArgument(positionals: string[], command: string) {
  if (positionals.length !== 1) throw new UsageError(`dlq ${command} takes one queue: ${JOB_TYPES.join(', ')}`);
  return jobTypeArgument(positionals[0].replace(/\.dead$/, ''), 'queue');
}
