import { CliContext } from '../cli-context';
import { parseCommand } from '../cli-arguments';
import { renderTable } from '../table';

export const QUEUES_USAGE = `queues [--json]               depth, consumers, retries waiting and dead letters per work queue (RABBITMQ_URL)`;

/** `queues`: what an SRE looks at first. */
export async function queues(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, { json: { type: 'boolean' } });
  const reports = await (await context.broker()).queues();
  if (values.json) {
    context.output.out(JSON.stringify(reports));
    return;
  }
  context.output.out(
    renderTable(
      ['QUEUE', 'READY', 'CONSUMERS', 'RETRYING', 'DEAD LETTERS'],
      reports.map((report) => [report.queue, String(report.ready), String(report.consumers), String(report.retrying), String(report.dead)]),
    ),
  );
}
