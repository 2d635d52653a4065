import { Body, Controller, Post, Res, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { ApiScope, Principal } from '@baton/auth';
import { JobDefinition } from '@baton/jobs';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { CorrelationId } from '../http/correlation-id';
import { IdempotencyKey } from '../http/idempotency-key.decorator';
import { invalidBody, PayloadPipe } from '../http/payload.pipe';
import { JobSubmissionService } from './job-submission.service';
import { replyAccepted } from './job.view';

/**
 * The route that accepts a job type, `POST /<path>`, made from its
 * definition: the same scope, body validation, Idempotency-Key and answer
 * for every type, so a new type cannot get any of them wrong.
 */
export function submissionControllerFor(definition: JobDefinition): Type<unknown> {
  @Controller(definition.path)
  class JobSubmissionController {
    constructor(
      private readonly submissions: JobSubmissionService,
      private readonly modules: ModuleRef,
    ) {}

    @Post()
    @RequireScope(ApiScope.JobsWrite)
    async create(
      @Body(new PayloadPipe(definition.type)) payload: object,
      @IdempotencyKey() idempotencyKey: string | undefined,
      @CorrelationId() correlationId: string,
      @Caller() caller: Principal,
      @Res({ passthrough: true }) reply: FastifyReply,
    ) {
      if (definition.admission) {
        const errors = await this.modules.get(definition.admission, { strict: false }).check(payload, caller.tenant);
        if (errors.length > 0) throw invalidBody(errors);
      }
      const submission = await this.submissions.submit(definition.type, payload, { caller, correlationId, idempotencyKey });
      return replyAccepted(reply, submission);
    }
  }
  // Named for the type, for Nest's route log and stack traces.
  Object.defineProperty(JobSubmissionController, 'name', { value: `${definition.type}SubmissionController` });
  return JobSubmissionController;
}
