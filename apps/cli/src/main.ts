import 'reflect-metadata';
import { loadConfigOrExit } from '@baton/config';
import { describeError } from '@baton/observability';
import { runMigrations } from '@baton/persistence';

const USAGE = `usage: baton <command>

commands:
  migrate    apply pending database migrations (DATABASE_URL)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'migrate' && rest.length === 0) {
    const config = loadConfigOrExit(['DATABASE_URL']);
    const applied = await runMigrations(config.DATABASE_URL!);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`unknown command: ${argv.join(' ')}\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`baton: ${describeError(error)}\n`);
    process.exit(1);
  },
);
