import { BadRequestException, Injectable, PayloadTooLargeException, PipeTransform, UnsupportedMediaTypeException } from '@nestjs/common';
import { FieldError, JobType, PayloadCheck, validateBody } from '@baton/contracts';
import { batchBodyOf, JobOptions, jobDefinition, MAX_BATCH_ITEMS, submissionBodyOf, validateBatch, validatePayload, validateSubmission } from '@baton/jobs';
import { DescribedInput } from '@baton/openapi';
import { errorBody } from './error-body';

/**
 * Validates a request body as the payload of a job type, with the very
 * function the worker uses on the message: what the API accepts, the worker
 * can read. Unknown fields are refused, not dropped.
 */
@Injectable()
export class PayloadPipe implements PipeTransform<unknown, Promise<object>>, DescribedInput {
  constructor(private readonly type: JobType) {}

  get describedAs() {
    return jobDefinition(this.type).payload;
  }

  async transform(body: unknown): Promise<object> {
    return accepted(body, (plain) => validatePayload(this.type, plain));
  }
}

/** A submission body, checked: the job's payload, and the `options` that travel beside it. */
export interface CheckedSubmission {
  payload: object;
  options?: JobOptions;
}

/**
 * Validates a submission body: the job type's payload as PayloadPipe does,
 * and the reserved `options` beside it, neither passing for the other.
 */
@Injectable()
export class SubmissionPipe implements PipeTransform<unknown, Promise<CheckedSubmission>>, DescribedInput {
  constructor(private readonly type: JobType) {}

  get describedAs() {
    return submissionBodyOf(this.type);
  }

  async transform(body: unknown): Promise<CheckedSubmission> {
    return accepted(body, async (plain) => {
      const checked = await validateSubmission(this.type, plain);
      return checked.valid ? { valid: true, payload: { payload: checked.payload, options: checked.options } } : checked;
    });
  }
}

/** An item of a batch, checked: a submission, or the fields that are wrong with it (paths relative to the item). */
export type CheckedBatchItem = CheckedSubmission | { errors: FieldError[] };

/**
 * Validates a batch body, `{ items: [...] }`: the envelope whole (a 400
 * naming `items`, a 413 past MAX_BATCH_ITEMS), then each item as
 * SubmissionPipe does a body, but answering a wrong item apart instead of
 * refusing the batch.
 */
@Injectable()
export class BatchSubmissionPipe implements PipeTransform<unknown, Promise<CheckedBatchItem[]>>, DescribedInput {
  constructor(private readonly type: JobType) {}

  get describedAs() {
    return batchBodyOf(this.type);
  }

  async transform(body: unknown): Promise<CheckedBatchItem[]> {
    return accepted(body, async (plain) => {
      const checked = await validateBatch(this.type, plain);
      switch (checked.kind) {
        case 'invalid':
          return { valid: false, errors: checked.errors };
        case 'too-many':
          throw new PayloadTooLargeException(errorBody(413, `A batch holds at most ${MAX_BATCH_ITEMS} items; this one has ${checked.count}`));
        case 'items':
          return { valid: true, payload: checked.items.map((item) => (item.valid ? { payload: item.payload, options: item.options } : { errors: item.errors })) };
      }
    });
  }
}

/** Validates a request body that is not a job (a profile, say) against its class, with the same rules and the same 400. */
@Injectable()
export class BodyPipe<T extends object> implements PipeTransform<unknown, Promise<T>>, DescribedInput {
  constructor(private readonly type: new () => T) {}

  get describedAs() {
    return this.type;
  }

  async transform(body: unknown): Promise<T> {
    return accepted(body, (plain) => validateBody(this.type, plain));
  }
}

async function accepted<T>(body: unknown, check: (plain: unknown) => Promise<PayloadCheck<T>>): Promise<T> {
  // Fastify parses only application/json; no body at all means no JSON was sent.
  if (body === undefined) throw new UnsupportedMediaTypeException(errorBody(415, 'Content-Type must be application/json'));
  const result = await check(body);
  if (result.valid) return result.payload;
  throw invalidBody(result.errors);
}

/** The 400 for a body with wrong fields, naming each: from the pipes, and from a job type's admission check. */
export function invalidBody(errors: FieldError[]): BadRequestException {
  return new BadRequestException(errorBody(400, `Invalid request body: ${errors.map((error) => error.field).join(', ')}`, errors));
}
