import { LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';
import { activeTraceIds } from '@baton/tracing';
import { currentLogContext } from './log-context';
import { redactSecrets } from './redact';

export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

// Nest announces every module, route and controller at start at "log" level;
// for operators that is noise, so those contexts log at debug.
const BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication', 'NestMicroservice']);

/**
 * NestJS's logger, backed by pino: one JSON object per line on stdout, with
 * the request's correlation id and the job's id on every line written while
 * serving them, the trace and span ids of the span active when it was
 * written (so that logs and traces join), and credentials scrubbed from every
 * message.
 */
export class BatonLogger implements LoggerService {
  readonly pino: Pino;

  constructor(service: string, level: LogLevelName, destination?: pino.DestinationStream) {
    this.pino = pino(
      {
        level,
        base: { service, pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => ({ ...currentLogContext(), ...activeTraceIds() }),
        redact: { paths: ['password', '*.password', 'headers.authorization', '*.headers.authorization'], censor: '***' },
      },
      destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    this.write(context && BOOT_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }

  error(message: unknown, ...params: unknown[]): void {
    // Nest calls error(message, stack, context) or error(message, context).
    const context = contextOf(params);
    const stack = params.length >= 2 && typeof params[0] === 'string' ? params[0] : undefined;
    this.write('error', message, context, stack);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, contextOf(params));
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, contextOf(params));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, contextOf(params));
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, contextOf(params));
  }

  private write(level: LogLevelName, message: unknown, context?: string, stack?: string): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = redactSecrets(stack);
    if (message instanceof Error) {
      fields.err = { type: message.name, message: redactSecrets(message.message), stack: message.stack && redactSecrets(message.stack) };
      this.pino[level](fields, redactSecrets(message.message));
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...(message as object) });
    } else {
      this.pino[level](fields, redactSecrets(String(message)));
    }
  }
}

function contextOf(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' ? last : undefined;
}
