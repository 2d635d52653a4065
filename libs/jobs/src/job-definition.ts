import { Provider, Type } from '@nestjs/common';
import { ConfigVariable } from '@baton/config';
import { FieldError, JobType } from '@baton/contracts';

/**
 * A check the API makes, against the database, before it accepts a job:
 * what a payload's class cannot know on its own (an email's attachment must
 * be an invoice of the caller's own tenant). Its field errors are answered
 * `400`, like the class's, and nothing is stored.
 */
export interface JobAdmission<P extends object> {
  check(payload: P, tenant: string): Promise<FieldError[]>;
}

/**
 * Everything Baton needs to know of one kind of work, declared once, in the
 * type's own folder (libs/jobs/src/<type>/<type>.job.ts), and listed once in
 * JOB_DEFINITIONS. The API route, the payload validation on both sides, the
 * tables, the worker's handler and what the worker must be configured with
 * all come from here.
 */
export interface JobDefinition<P extends object = object> {
  /** Its name (a JobType): the queue, the routing key and each job's `type`. */
  readonly type: JobType;
  /** The request body's class. The API validates a request with it, and the worker each message, with the same rules. */
  readonly payload: Type<P>;
  /** Where the API accepts it: `POST /<path>`, answered `202` with a job id. */
  readonly path: string;
  /** One line saying what the work is, for the docs and the CLI. */
  readonly summary: string;
  /** The worker's handler (`@JobHandler`) and the services it needs, as a Nest module. Loaded only where the type's queue is consumed, so an API never loads a PDF renderer or a mail client. */
  readonly worker: () => Promise<Type<unknown>>;
  /** Variables a worker consuming the type cannot run without; it stops at start, naming them, when one is unset. */
  readonly workerRequires?: readonly ConfigVariable[];
  /** Tables of its own (TypeORM entities), and the migrations that make them. */
  readonly entities?: readonly Function[];
  readonly migrations?: readonly Function[];
  /** Providers both the API and the worker use, such as the repository its results are read through. */
  readonly providers?: readonly Provider[];
  /**
   * Payload fields, by dotted path, that carry a secret (a sign-in link with
   * its token): the dashboard shows them as `[redacted]`.
   */
  readonly secretFields?: readonly string[];
  /** A check with the database before the API accepts a job of this type. */
  readonly admission?: Type<JobAdmission<P>>;
}

/** Declares a job type; typed so that the payload, the admission check and the handler agree. */
export function defineJob<P extends object>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}
