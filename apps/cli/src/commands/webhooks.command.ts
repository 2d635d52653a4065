import { isUuid } from '@baton/contracts';
import { WEBHOOK_DELIVERY_STATUSES, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '@baton/persistence';
import { countArgument, parseCommand } from '../cli-arguments';
import { CliContext } from '../cli-context';
import { CommandError, UsageError } from '../cli-error';
import { isoMinute, oneLine, renderTable } from '../table';

export const WEBHOOKS_USAGE = `webhooks list [--tenant <name>] [--json]
                                webhook endpoints (every tenant unless --tenant); never their secrets
  webhooks deliveries [--endpoint <id>] [--status <s>] [--tenant <name>] [--limit N] [--json]
                                deliveries newest first, with their last answer; statuses: ${WEBHOOK_DELIVERY_STATUSES.join(', ')}
  webhooks replay <delivery-id> a finished delivery sent again (same webhook-id), by the API's relay`;

const MAX_LIST = 1000;

/** `webhooks list | deliveries | replay`. */
export async function webhooks(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'list') return list(rest, context);
  if (subcommand === 'deliveries') return deliveries(rest, context);
  if (subcommand === 'replay') return replay(rest, context);
  throw new UsageError(subcommand === undefined ? 'webhooks needs a subcommand: list, deliveries or replay' : `unknown webhooks subcommand: ${subcommand}`);
}

async function list(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, { tenant: { type: 'string' }, json: { type: 'boolean' } });
  const endpoints = await (await context.webhookEndpoints()).list(values.tenant);
  if (values.json) {
    context.output.out(JSON.stringify(endpoints.map(describeEndpoint)));
    return;
  }
  if (endpoints.length === 0) {
    context.output.err('no webhook endpoints');
    return;
  }
  const rows = endpoints.map((endpoint) => [
    endpoint.id,
    endpoint.tenant,
    endpoint.url,
    endpoint.events.join(','),
    endpoint.disabled ? `disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}` : 'enabled',
  ]);
  context.output.out(renderTable(['ID', 'TENANT', 'URL', 'EVENTS', 'STATE'], rows));
}

async function deliveries(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, {
    endpoint: { type: 'string' },
    status: { type: 'string' },
    tenant: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.status !== undefined && !(WEBHOOK_DELIVERY_STATUSES as readonly string[]).includes(values.status)) {
    throw new UsageError(`--status must be one of ${WEBHOOK_DELIVERY_STATUSES.join(', ')} (got ${values.status})`);
  }
  if (values.endpoint !== undefined && !isUuid(values.endpoint)) throw new UsageError(`--endpoint must be an endpoint id (a UUID), not ${values.endpoint}`);
  const limit = countArgument(values.limit, 'limit', 50, MAX_LIST);
  const page = await (await context.webhookDeliveries()).list(
    { tenant: values.tenant, endpointId: values.endpoint?.toLowerCase(), status: values.status as WebhookDeliveryStatus | undefined },
    limit,
  );
  if (values.json) {
    context.output.out(JSON.stringify(page.deliveries.map(describeDelivery)));
    return;
  }
  if (page.deliveries.length === 0) {
    context.output.err('no webhook deliveries');
    return;
  }
  const rows = page.deliveries.map((delivery) => {
    const last = delivery.attempts.at(-1);
    const answer = last === undefined ? '' : last.statusCode !== null ? String(last.statusCode) : oneLine(last.error ?? '');
    return [delivery.id, delivery.tenant, delivery.eventType, delivery.status, String(delivery.attempts.length), answer, isoMinute(delivery.createdAt)];
  });
  context.output.out(renderTable(['ID', 'TENANT', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST ANSWER', 'CREATED'], rows));
  if (page.nextCursor) context.output.err(`(the ${limit} newest; --limit shows more)`);
}

async function replay(args: string[], context: CliContext): Promise<void> {
  const { positionals } = parseCommand(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('webhooks replay takes one delivery id (see webhooks deliveries --status failed)');
  const [id] = positionals;
  if (!isUuid(id)) throw new CommandError(`${id} is not a delivery id (a UUID)`);
  const outcome = await (await context.webhookDeliveries()).replay(id.toLowerCase());
  if (outcome.kind === 'not-found') throw new CommandError(`no webhook delivery ${id}`);
  if (outcome.kind === 'pending') throw new CommandError(`webhook delivery ${id} is still pending: it is sent at its next attempt`);
  if (outcome.kind === 'endpoint-disabled') throw new CommandError(`the endpoint of webhook delivery ${id} is disabled: enable it first`);
  context.output.out(`webhook delivery ${id} (${outcome.delivery.eventType}) is pending again: the API's relay sends it within RELAY_INTERVAL_MS`);
}

function describeEndpoint(endpoint: WebhookEndpoint) {
  return { ...endpoint, createdAt: endpoint.createdAt.toISOString(), updatedAt: endpoint.updatedAt.toISOString() };
}

function describeDelivery(delivery: WebhookDelivery) {
  return { ...delivery, nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null, createdAt: delivery.createdAt.toISOString() };
}
