import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of one request, or of one job's delivery, carries. */
export interface LogContext {
  correlationId?: string;
  jobId?: string;
  jobType?: string;
  /** The tenant of the API key a request authenticated with. */
  tenant?: string;
  apiKeyId?: string;
  /** A webhook delivery, and the event it carries. */
  deliveryId?: string;
  eventId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `context` attached to every log line it (and what it awaits) writes. */
export function runWithLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, work);
}

/** Adds fields to the current context (e.g. the job id once a request has created its job). */
export function annotateLogContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
