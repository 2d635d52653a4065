import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { BatonConfig, CONFIG_VARIABLES } from './baton-config';

export type ConfigVariable = keyof BatonConfig;

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
export function loadConfig(env: NodeJS.ProcessEnv = process.env, required: ConfigVariable[] = []): BatonConfig {
  const defined = Object.fromEntries(
    CONFIG_VARIABLES.filter((name) => env[name] !== undefined && env[name]!.trim() !== '')
      .map((name) => [name, env[name]!.trim()]),
  );
  const config = plainToInstance(BatonConfig, defined);
  const problems = validateSync(config, { forbidUnknownValues: true }).flatMap(describe);
  for (const name of required) {
    if (config[name] === undefined) problems.push(`${name} is required`);
  }
  if (problems.length === 0 && config.JOB_RETRY_MAX_MS < config.JOB_RETRY_BASE_MS) {
    problems.push('JOB_RETRY_MAX_MS must not be less than JOB_RETRY_BASE_MS');
  }
  // Node requires the headers to arrive within the request timeout, and would refuse to start the server.
  if (problems.length === 0 && config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function describe(error: ValidationError): string[] {
  // The value itself is left out: it may be a connection string with a password.
  return Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );
}
