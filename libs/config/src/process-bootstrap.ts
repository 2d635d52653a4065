import { ConsoleLogger, LogLevel as NestLogLevel } from '@nestjs/common';
import { BatonConfig, LogLevel } from './baton-config';
import { ConfigError, ConfigVariable, loadConfig } from './load-config';

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Loads the configuration, or ends the process with exit code 1 and a message naming each bad variable. */
export function loadConfigOrExit(required: ConfigVariable[]): BatonConfig {
  try {
    return loadConfig(process.env, required);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** One JSON object per line, at the level LOG_LEVEL asks for. */
export function createLogger(config: BatonConfig): ConsoleLogger {
  return new ConsoleLogger({ json: true, logLevels: NEST_LEVELS[config.LOG_LEVEL] });
}
