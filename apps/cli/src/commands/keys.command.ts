import { ApiKeyInputError, DEFAULT_SCOPES } from '@baton/auth';
import type { ApiKeyEntity } from '@baton/persistence';
import { parseCommand } from '../cli-arguments';
import { CliContext } from '../cli-context';
import { CommandError, UsageError } from '../cli-error';
import { isoMinute, renderTable } from '../table';

export const KEYS_USAGE = `keys create --tenant <name> [--scope <scope>]... [--name <text>] [--json]
                                create an API key and print it, once (default scopes: ${DEFAULT_SCOPES.join(', ')};
                                scopes: jobs:write, jobs:read, admin, operator; --scope a,b or repeated)
  keys list [--tenant <name>] [--json]
                                list API keys (never the keys themselves)
  keys revoke <id>              revoke a key at once`;

/** `keys create | list | revoke`. */
export async function keys(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'create':
      return create(rest, context);
    case 'list':
      return list(rest, context);
    case 'revoke':
      return revoke(rest, context);
    default:
      throw new UsageError(subcommand === undefined ? 'keys needs a subcommand: create, list or revoke' : `unknown keys subcommand: ${subcommand}`);
  }
}

async function create(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, {
    tenant: { type: 'string' },
    scope: { type: 'string', multiple: true },
    name: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.tenant === undefined) throw new UsageError('keys create needs --tenant <name>');
  const scopes = values.scope === undefined ? [...DEFAULT_SCOPES] : values.scope.flatMap((scope) => scope.split(',')).map((scope) => scope.trim()).filter(Boolean);
  const service = await context.apiKeys();
  const { key, record } = await service.create({ tenant: values.tenant, scopes, name: values.name }).catch(asCommandError);
  if (values.json) {
    context.output.out(JSON.stringify({ ...describeKey(record), key }));
    return;
  }
  // The key alone on stdout, so that `KEY=$(npm run -s baton -- keys create ...)` captures it.
  context.output.out(key);
  context.output.err(`Created API key ${record.id} for tenant ${record.tenant} (${record.scopes.join(', ')}). It is shown only this once: store it now.`);
}

async function list(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, { tenant: { type: 'string' }, json: { type: 'boolean' } });
  const records = await (await context.apiKeys()).list(values.tenant);
  if (values.json) {
    context.output.out(JSON.stringify(records.map(describeKey)));
    return;
  }
  if (records.length === 0) {
    context.output.err(values.tenant === undefined ? 'no API keys' : `no API keys for tenant ${values.tenant}`);
    return;
  }
  const rows = records.map((record) => [
    record.id,
    record.tenant,
    `${record.keyPrefix}…`,
    record.scopes.join(','),
    record.revokedAt ? `revoked ${isoMinute(record.revokedAt)}` : 'active',
    isoMinute(record.createdAt),
    record.lastUsedAt ? isoMinute(record.lastUsedAt) : '-',
    record.name ?? '',
  ]);
  context.output.out(renderTable(['ID', 'TENANT', 'KEY', 'SCOPES', 'STATUS', 'CREATED', 'LAST USED', 'NAME'], rows));
}

async function revoke(args: string[], context: CliContext): Promise<void> {
  const { positionals } = parseCommand(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('keys revoke takes one key id (see keys list)');
  const [id] = positionals;
  const record = await (await context.apiKeys()).revoke(id).catch(asCommandError);
  if (!record) throw new CommandError(`no API key ${id}`);
  context.output.out(`revoked ${record.id} (tenant ${record.tenant}, ${record.keyPrefix}…)`);
}

function asCommandError(error: unknown): never {
  if (error instanceof ApiKeyInputError) throw new CommandError(error.message);
  throw error;
}

function describeKey(record: ApiKeyEntity) {
  return {
    id: record.id,
    tenant: record.tenant,
    scopes: record.scopes,
    name: record.name,
    keyPrefix: record.keyPrefix,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}
