import { Controller, SetMetadata, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { JobErrorFilter } from './job-error.filter';

/**
 * What a job type's handler does with one job. It returns false when the job
 * had already been done (a duplicate delivery), so that it is not counted twice.
 */
export interface JobHandlerOf<P> {
  handle(payload: P, context: JobContext): Promise<boolean | void>;
}

export const JOB_HANDLER_TYPE = 'baton:job-handler-type';

/**
 * Marks the class that runs a job type. It brings everything a handler must
 * have, so that none of it can be forgotten: the binding of `handle` to the
 * type's queue, with the payload and the job's context as its arguments, and
 * the error policy (the JobRunner needs each failure as it was thrown, to
 * record it and to tell a database outage from a failed job).
 */
export function JobHandler(type: JobType) {
  return <T extends new (...args: any[]) => JobHandlerOf<any>>(target: T): void => {
    const descriptor = Object.getOwnPropertyDescriptor(target.prototype, 'handle')!;
    Controller()(target);
    UseFilters(JobErrorFilter)(target);
    SetMetadata(JOB_HANDLER_TYPE, type)(target);
    EventPattern(type)(target.prototype, 'handle', descriptor);
    Payload()(target.prototype, 'handle', 0);
    Ctx()(target.prototype, 'handle', 1);
  };
}
