import { isWorkerQueue, WORKER_QUEUE_NAMES } from '@baton/contracts';
import { CliContext } from '../cli-context';
import { parseCommand } from '../cli-arguments';
import { CommandError, UsageError } from '../cli-error';
import { renderTable } from '../table';

export const QUEUES_USAGE = `queues [--json]               depth, consumers, retries waiting and dead letters per work queue (RABBITMQ_URL), and which are paused (with DATABASE_URL)
  queues pause <queue>          within 5 s every worker stops taking the queue's jobs and finishes those it holds (DATABASE_URL)
  queues resume <queue>         workers consume the queue again within 5 s (DATABASE_URL)`;

/** Who a pause made here is recorded as, beside the API keys' ids of pauses made over HTTP. */
const CLI_PAUSED_BY = 'cli';

/** `queues`: what an SRE looks at first; `queues pause | resume <queue>`. */
export async function queues(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'pause' || subcommand === 'resume') return setPaused(subcommand, rest, context);
  const { values } = parseCommand(args, { json: { type: 'boolean' } });
  const reports = await (await context.broker()).queues();
  // Pauses are kept in PostgreSQL: shown when DATABASE_URL is set too.
  const paused = context.hasDatabase() ? new Set((await (await context.queuePauses()).paused()).map((pause) => pause.queue)) : undefined;
  if (values.json) {
    context.output.out(JSON.stringify(paused ? reports.map((report) => ({ ...report, paused: paused.has(report.queue) })) : reports));
    return;
  }
  const pausedColumn = (queue: string) => (paused ? [paused.has(queue) ? 'yes' : 'no'] : []);
  context.output.out(
    renderTable(
      ['QUEUE', 'READY', 'CONSUMERS', 'RETRYING', 'DEAD LETTERS', ...(paused ? ['PAUSED'] : [])],
      reports.map((report) => [report.queue, String(report.ready), String(report.consumers), String(report.retrying), String(report.dead), ...pausedColumn(report.queue)]),
    ),
  );
}

/** As POST /v1/queues/:name/pause and /resume: idempotent, the first pause kept. */
async function setPaused(subcommand: 'pause' | 'resume', args: string[], context: CliContext): Promise<void> {
  const { positionals } = parseCommand(args, {}, true);
  if (positionals.length !== 1) throw new UsageError(`queues ${subcommand} takes one queue: ${WORKER_QUEUE_NAMES.join(', ')}`);
  const [queue] = positionals;
  if (!isWorkerQueue(queue)) throw new CommandError(`no queue ${queue}: a queue is one of ${WORKER_QUEUE_NAMES.join(', ')}`);
  const pauses = await context.queuePauses();
  if (subcommand === 'pause') {
    const pause = await pauses.pause(queue, CLI_PAUSED_BY);
    context.output.out(`queue ${queue} is paused (since ${pause.pausedAt.toISOString()}); workers stop taking its jobs within 5 s`);
  } else {
    await pauses.resume(queue);
    context.output.out(`queue ${queue} is running; workers consume it again within 5 s`);
  }
}
