import { Body, Controller, Post, Res, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { ApiScope, Principal } from '@baton/auth';
import { JobDefinition } from '@baton/jobs';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { CorrelationId } from '../http/correlation-id';
import { IdempotencyKey } from '../http/idempotency-key.decorator';
import { CheckedSubmission, invalidBody, SubmissionPipe } from '../http/payload.pipe';
import { headerRef, IDEMPOTENCY_KEY_PARAMETER } from '../openapi/api-components';
import { JobSubmissionService } from './job-submission.service';
import { JobAccepted, JobAcceptedSchema, replyAccepted } from './job.view';

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
    @ApiOperation({
      operationId: `submit${definition.type[0].toUpperCase()}${definition.type.slice(1)}`,
      summary: definition.summary,
      description: `Accepts a \`${definition.type}\` job: answers at once with its id, before any worker runs it. Poll \`statusUrl\` for the result. The body is the job's payload; the reserved \`options\` beside it can delay the job (\`runAt\` or \`delaySec\`, at most JOB_MAX_DELAY_SEC ahead) and carry the idempotency key.`,
      headers: [IDEMPOTENCY_KEY_PARAMETER],
      responses: {
        202: { description: 'Accepted: the job is stored, and queued, or `scheduled` until `options.runAt` (or `options.delaySec`).', schema: JobAcceptedSchema, headers: { Location: headerRef('Location') } },
        200: {
          description: 'A repeat of an earlier request with the same Idempotency-Key and body: the first job, no new one.',
          schema: JobAcceptedSchema,
          headers: { Location: headerRef('Location'), 'Idempotent-Replayed': headerRef('IdempotentReplayed') },
        },
        409: 'The Idempotency-Key was used before with another body.',
      },
    })
    async create(
      @Body(new SubmissionPipe(definition.type)) submission: CheckedSubmission,
      @IdempotencyKey() idempotencyKey: string | undefined,
      @CorrelationId() correlationId: string,
      @Caller() caller: Principal,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<JobAccepted> {
      const plan = this.submissions.plan(submission.options, idempotencyKey);
      if ('errors' in plan) throw invalidBody(plan.errors);
      if (definition.admission) {
        const errors = await this.modules.get(definition.admission, { strict: false }).check(submission.payload, caller.tenant);
        if (errors.length > 0) throw invalidBody(errors);
      }
      return replyAccepted(reply, await this.submissions.submit(definition.type, submission, plan, { caller, correlationId }));
    }
  }
  // Named for the type, for Nest's route log and stack traces.
  Object.defineProperty(JobSubmissionController, 'name', { value: `${definition.type}SubmissionController` });
  return JobSubmissionController;
}
