import { BadRequestException, Body, Controller, HttpCode, Post, Res, Type } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiScope, Principal } from '@baton/auth';
import { JobDefinition, MAX_BATCH_ITEMS } from '@baton/jobs';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyLimit, describeBytes } from '../http/body-limit';
import { CorrelationId } from '../http/correlation-id';
import { fieldErrorBody } from '../http/error-body';
import { IdempotencyKey } from '../http/idempotency-key.decorator';
import { BatchSubmissionPipe, CheckedBatchItem, CheckedSubmission, invalidBody, SubmissionPipe } from '../http/payload.pipe';
import { headerRef, IDEMPOTENCY_KEY_PARAMETER } from '../openapi/api-components';
import { JobSubmissionService } from './job-submission.service';
import { BatchResult, BatchResultSchema, batchResultView, JobAccepted, JobAcceptedSchema, replyAccepted } from './job.view';

/**
 * The body limit of a batch route: MAX_BATCH_ITEMS typical bodies (a
 * workout with a few sets is well under 1 KiB) with room to spare, while a
 * batch of the largest bodies is refused whole and is better sent in parts.
 */
export const BATCH_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

/**
 * The routes that accept a job type, `POST /<path>` and `POST
 * /<path>/batch`, made from its definition: the same scope, body
 * validation, Idempotency-Key and answer for every type, so a new type
 * cannot get any of them wrong.
 */
export function submissionControllerFor(definition: JobDefinition): Type<unknown> {
  @Controller(definition.path)
  class JobSubmissionController {
    constructor(private readonly submissions: JobSubmissionService) {}

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
      const plan = await this.submissions.admit(definition.type, submission, caller.tenant, idempotencyKey);
      if ('errors' in plan) throw invalidBody(plan.errors);
      return replyAccepted(reply, await this.submissions.submit(definition.type, submission, plan, { caller, correlationId }));
    }

    @Post('batch')
    @HttpCode(200)
    @RequireScope(ApiScope.JobsWrite)
    @BodyLimit(BATCH_BODY_LIMIT_BYTES)
    @ApiOperation({
      operationId: `submit${definition.type[0].toUpperCase()}${definition.type.slice(1)}Batch`,
      summary: `${definition.summary} (up to ${MAX_BATCH_ITEMS} at once)`,
      description: `Accepts up to ${MAX_BATCH_ITEMS} \`${definition.type}\` jobs in one request, \`{ "items": [ <a submission body>, ... ] }\`, and answers each item in order: \`202\` with its job id, \`200\` (\`replayed\`) for a repeat of an earlier submission with the same \`options.idempotencyKey\`, or \`400\` / \`409\` with its errors, field paths relative to the item. A wrong item does not refuse the others; the accepted ones are committed together. Idempotency keys belong to items: an Idempotency-Key header is a 400.`,
      responses: {
        200: { description: 'The batch was read: one result per item, in order.', schema: BatchResultSchema },
        413: `More than ${MAX_BATCH_ITEMS} items, or a body over ${describeBytes(BATCH_BODY_LIMIT_BYTES)}: nothing stored.`,
      },
    })
    async createBatch(
      @Body(new BatchSubmissionPipe(definition.type)) items: CheckedBatchItem[],
      @IdempotencyKey() idempotencyKey: string | undefined,
      @CorrelationId() correlationId: string,
      @Caller() caller: Principal,
    ): Promise<BatchResult> {
      if (idempotencyKey !== undefined) {
        throw new BadRequestException(fieldErrorBody('Idempotency-Key', 'is not taken by a batch: give each item its own options.idempotencyKey'));
      }
      return batchResultView(await this.submissions.submitBatch(definition.type, items, { caller, correlationId }));
    }
  }
  // Named for the type, for Nest's route log and stack traces.
  Object.defineProperty(JobSubmissionController, 'name', { value: `${definition.type}SubmissionController` });
  return JobSubmissionController;
}
