import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { BatonConfig, CONFIG_VARIABLES } from './baton-config';

export type ConfigVariable = keyof BatonConfig;

/** A variable a process needs, and why, for the message when it is unset. */
export interface RequiredVariable {
  name: ConfigVariable;
  because: string;
}

/** What a process cannot start without: fixed, or found from the rest of its configuration (the queues it consumes). */
export type RequiredVariables = Array<ConfigVariable | RequiredVariable> | ((config: BatonConfig) => Array<ConfigVariable | RequiredVariable>);

/** Raised at start when the environment cannot run Baton; its message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment. `required` lists the variables the
 * calling process cannot start without. Empty strings count as unset, since
 * Kubernetes and shells produce them for variables declared without a value.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  required: RequiredVariables = [],
): BatonConfig {
  const defined = Object.fromEntries(
    CONFIG_VARIABLES.filter((name) => env[name] !== undefined && env[name]!.trim() !== '')
      .map((name) => [name, env[name]!.trim()]),
  );
  const config = plainToInstance(BatonConfig, defined);
  const problems = validateSync(config, { forbidUnknownValues: true }).flatMap(describe);
  // Unset, WORKER_QUEUES is every job type that is not disabled, and the webhook deliveries.
  if (defined.WORKER_QUEUES === undefined && Array.isArray(config.DISABLED_JOB_TYPES)) {
    config.WORKER_QUEUES = config.WORKER_QUEUES.filter((queue) => !(config.DISABLED_JOB_TYPES as readonly string[]).includes(queue));
  }
  // A list found from the configuration needs it valid first; a fixed list is checked with the rest.
  if (typeof required !== 'function' || problems.length === 0) {
    for (const entry of typeof required === 'function' ? required(config) : required) {
      const { name, because } = typeof entry === 'string' ? { name: entry, because: undefined } : entry;
      if (config[name] === undefined) problems.push(because ? `${name} is required: ${because}` : `${name} is required`);
    }
  }
  if (problems.length === 0 && config.JOB_RETRY_MAX_MS < config.JOB_RETRY_BASE_MS) {
    problems.push('JOB_RETRY_MAX_MS must not be less than JOB_RETRY_BASE_MS');
  }
  // A statement the server cancels in time is answered with its error; the client must not give up first.
  if (problems.length === 0 && config.DATABASE_QUERY_TIMEOUT_MS <= config.DATABASE_STATEMENT_TIMEOUT_MS) {
    problems.push('DATABASE_QUERY_TIMEOUT_MS must exceed DATABASE_STATEMENT_TIMEOUT_MS');
  }
  // Node requires the headers to arrive within the request timeout, and would refuse to start the server.
  if (problems.length === 0 && config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  // Replicas follow a PostgreSQL server; the embedded database (DATABASE_URL unset) has none.
  if (problems.length === 0 && config.DATABASE_READ_URL !== undefined && config.DATABASE_URL === undefined) {
    problems.push('DATABASE_READ_URL needs DATABASE_URL: read replicas are replicas of a PostgreSQL server, and the embedded database has none');
  }
  if (problems.length === 0 && config.RABBITMQ_URLS !== undefined) problems.push(...clusterProblems(config.RABBITMQ_URL, config.RABBITMQ_URLS));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The nodes of RABBITMQ_URLS are the broker RABBITMQ_URL names: without it
 * the process would run on the in-process queue, and a node serving another
 * vhost would hold other queues. Neither URL is echoed (they carry passwords).
 */
function clusterProblems(single: string | undefined, nodes: readonly string[]): string[] {
  if (single === undefined) return ['RABBITMQ_URLS needs RABBITMQ_URL: the CLI, the autoscaler and the rate limit read the broker from it'];
  const vhost = vhostOf(single);
  return nodes.some((node) => vhostOf(node) !== vhost) ? ['RABBITMQ_URLS must name the same vhost as RABBITMQ_URL on every node'] : [];
}

/** An AMQP URL's vhost as RabbitMQ reads it: the path without its slash, "/" when there is none. */
function vhostOf(url: string): string | undefined {
  try {
    const path = new URL(url).pathname;
    return path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
  } catch {
    return undefined;
  }
}

function describe(error: ValidationError): string[] {
  // The value itself is left out: it may be a connection string with a password.
  return Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );
}
