import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { createTerminus } from '@godaddy/terminus';
import { describeError } from '@baton/observability';

/** One thing a process needs to do its work; `check` throws (or rejects) when it is missing. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void> | void;
  /**
   * Reported in the body but does not fail readiness: the process still does
   * its job without it (the API accepts jobs while RabbitMQ is away).
   */
  informational?: boolean;
}

export interface HealthOptions {
  /** What readiness requires, checked in parallel on every probe. */
  checks: ReadinessCheck[];
  /** Time to keep serving, not ready, after SIGTERM before the server stops taking connections. */
  shutdownDelayMs: number;
  /** How long the HTTP server waits for requests in flight once it stops. */
  shutdownTimeoutMs: number;
  /** Closes the application: drains work, closes RabbitMQ and PostgreSQL. */
  close(): Promise<void>;
}

export const LIVE_PATH = '/health/live';
export const READY_PATH = '/health/ready';

// A probe must answer well inside Kubernetes' default 1 s probe timeout, even
// when a dependency hangs instead of refusing.
const CHECK_TIMEOUT_MS = 800;

/**
 * Serves `/health/live` and `/health/ready` on `server` and turns SIGTERM
 * and SIGINT into a graceful shutdown: not ready at once, a delay for load
 * balancers, stop accepting, finish in-flight requests, close, exit 0.
 */
export function serveHealth(server: Server, options: HealthOptions): void {
  const logger = new Logger('Health');
  createTerminus(server, {
    healthChecks: {
      // Liveness only proves that the event loop answers: a dependency that is
      // away must not make Kubernetes restart every pod at once.
      [LIVE_PATH]: async () => ({ uptimeSeconds: Math.round(process.uptime()) }),
      [READY_PATH]: async ({ state }) => {
        if (state.isShuttingDown) throw notReady({ shutdown: 'shutting down' });
        return runChecks(options.checks);
      },
      verbatim: true,
      __unsafeExposeStackTraces: false,
    },
    // Readiness fails during shutdown (above); liveness must keep answering.
    sendFailuresDuringShutdown: false,
    signals: ['SIGTERM', 'SIGINT'],
    useExit0: true,
    timeout: options.shutdownTimeoutMs,
    beforeShutdown: async () => {
      logger.log(`shutdown requested; not ready, waiting ${options.shutdownDelayMs} ms for load balancers`);
      await new Promise((resolve) => setTimeout(resolve, options.shutdownDelayMs));
    },
    onSignal: async () => {
      await options.close();
      logger.log('shut down cleanly');
    },
    logger: (message, error) => logger.warn(`${message}: ${error?.message ?? ''}`),
  });
}

async function runChecks(checks: ReadinessCheck[]): Promise<Record<string, string>> {
  const results = await Promise.all(
    checks.map(async ({ name, check, informational }) => {
      try {
        await withTimeout(Promise.resolve(check()), CHECK_TIMEOUT_MS);
        return { name, state: 'up', required: !informational };
      } catch (error) {
        return { name, state: `down: ${describeError(error)}`, required: !informational };
      }
    }),
  );
  const report = Object.fromEntries(results.map(({ name, state }) => [name, state]));
  if (results.some(({ state, required }) => required && state !== 'up')) throw notReady(report);
  return report;
}

function notReady(causes: Record<string, string>): Error {
  return Object.assign(new Error('not ready'), { causes });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
