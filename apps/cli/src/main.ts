import 'reflect-metadata';
import { ConfigError } from '@baton/config';
import { describeError } from '@baton/observability';
import { CliContext } from './cli-context';
import { CommandError, UsageError } from './cli-error';
import { dlq, DLQ_USAGE } from './commands/dlq.command';
import { jobs, JOBS_USAGE } from './commands/jobs.command';
import { keys, KEYS_USAGE } from './commands/keys.command';
import { migrate, MIGRATE_USAGE } from './commands/migrate.command';
import { queues, QUEUES_USAGE } from './commands/queues.command';
import { schedules, SCHEDULES_USAGE } from './commands/schedules.command';
import { webhooks, WEBHOOKS_USAGE } from './commands/webhooks.command';

const USAGE = `usage: baton <command>  (npm run baton -- <command>, or node dist/apps/cli/src/main.js <command>)

commands:
  ${MIGRATE_USAGE}
  ${KEYS_USAGE}
  ${QUEUES_USAGE}
  ${JOBS_USAGE}
  ${DLQ_USAGE}
  ${WEBHOOKS_USAGE}
  ${SCHEDULES_USAGE}

Reads DATABASE_URL (and RABBITMQ_URL where a command needs the broker) from the environment.`;

const COMMANDS: Record<string, (args: string[], context: CliContext) => Promise<void>> = { migrate, keys, queues, jobs, dlq, webhooks, schedules };

/** Runs one command; the exit code: 0 done, 1 failed, 2 bad command line. */
async function main(argv: string[]): Promise<number> {
  const output = { out: (text: string) => process.stdout.write(`${text}\n`), err: (text: string) => process.stderr.write(`${text}\n`) };
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? output.err : output.out)(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    output.err(`unknown command: ${argv.join(' ')}\n${USAGE}`);
    return 2;
  }
  const context = new CliContext(output, process.env);
  try {
    await run(rest, context);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`baton: ${error.message}\n${USAGE}`);
      return 2;
    }
    output.err(`baton: ${error instanceof CommandError || error instanceof ConfigError ? error.message : describeError(error)}`);
    return 1;
  } finally {
    await context.close().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
