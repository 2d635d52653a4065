import { ApiScope } from '@baton/auth';
import { BATON_SCHEMA } from '@baton/jobs';
import { runMigrations } from '@baton/persistence';
import { CliContext } from '../cli-context';
import { UsageError } from '../cli-error';

export const MIGRATE_USAGE = `migrate                       apply pending database migrations (DATABASE_URL); with BATON_BOOTSTRAP_API_KEY
                                set, also store that key for BATON_BOOTSTRAP_TENANT with the admin scope`;

/**
 * Applies pending migrations, then the bootstrap key if one is configured:
 * the Helm chart's pre-install/pre-upgrade hook runs exactly this.
 */
export async function migrate(args: string[], context: CliContext): Promise<void> {
  if (args.length > 0) throw new UsageError(`migrate takes no arguments (got ${args.join(' ')})`);
  const config = context.config(['DATABASE_URL']);
  const applied = await runMigrations(config.DATABASE_URL!, BATON_SCHEMA);
  context.output.out(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  const bootstrapKey = config.BATON_BOOTSTRAP_API_KEY;
  if (bootstrapKey === undefined) return;
  const tenant = config.BATON_BOOTSTRAP_TENANT;
  const stored = await (await context.apiKeys()).import(bootstrapKey, { tenant, scopes: [ApiScope.Admin], name: 'bootstrap' });
  context.output.out(stored ? `bootstrap API key stored: ${stored.id} (tenant ${tenant}, scope admin)` : 'bootstrap API key already stored');
}
