import { Type } from '@nestjs/common';
import { Type as TransformType } from 'class-transformer';
import { JSONSchema } from 'class-validator-jsonschema';
import { getMetadataSchema } from 'class-validator-jsonschema/build/decorators';
import { IsInt, IsOptional, IsRFC3339, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { FieldError, IDEMPOTENCY_KEY_PATTERN, JobType, validateBody } from '@baton/contracts';
import { jobDefinition } from './job-catalogue';

/** A delay no configuration allows; JOB_MAX_DELAY_SEC sets the real bound. */
export const DELAY_SEC_CEILING = 315_360_000;

/**
 * What a submission says about its job rather than about the work: the
 * reserved top-level `options` of every submission body. Stored on the job,
 * part of what an idempotency key is bound to, never given to the worker.
 */
export class JobOptions {
  /** When the job should run: an RFC 3339 date-time with its offset. In the past, at once. */
  @IsOptional()
  @IsRFC3339({ message: 'runAt must be an RFC 3339 date-time with an offset, such as 2026-12-01T09:00:00Z' })
  runAt?: string;

  /** Seconds from now until the job should run. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(DELAY_SEC_CEILING)
  delaySec?: number;

  /** The Idempotency-Key header's alternative; the only way to give one to an item of a batch. */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: 'idempotencyKey must be printable ASCII characters' })
  idempotencyKey?: string;
}

export type SubmissionCheck =
  | { valid: true; payload: object; options: JobOptions | undefined }
  | { valid: false; errors: FieldError[] };

/**
 * Validates a submission body: the job type's payload, and its `options`
 * apart, so that neither can pass for the other. Field paths are the body's
 * (`sets.3.reps`, `options.runAt`).
 */
export async function validateSubmission(type: JobType, body: unknown): Promise<SubmissionCheck> {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('options' in body)) return payloadOnly(type, body);
  const { options, ...rest } = body as { options?: unknown };
  // `options: null` is no options, as null is for any optional field.
  if (options === null) return payloadOnly(type, rest);
  const [payload, given] = await Promise.all([validateBody(jobDefinition(type).payload, rest), validateBody(JobOptions, options)]);
  const errors = [
    ...(payload.valid ? [] : payload.errors),
    ...(given.valid ? bothTimes(given.payload) : given.errors.map((error) => ({ ...error, field: optionsField(error.field) }))),
  ];
  if (errors.length > 0 || !payload.valid || !given.valid) return { valid: false, errors };
  return { valid: true, payload: payload.payload, options: given.payload };
}

async function payloadOnly(type: JobType, body: unknown): Promise<SubmissionCheck> {
  const checked = await validateBody(jobDefinition(type).payload, body);
  return checked.valid ? { valid: true, payload: checked.payload, options: undefined } : checked;
}

function bothTimes(options: JobOptions): FieldError[] {
  return options.runAt != null && options.delaySec != null ? [{ field: 'options', messages: ['give runAt or delaySec, not both'] }] : [];
}

function optionsField(field: string): string {
  return field === '(body)' ? 'options' : `options.${field}`;
}

const submissionClasses = new Map<JobType, Type<object>>();

/**
 * The body `POST /<type>` takes, as one class for the API's document: the
 * payload's fields and `options`. Validation goes through
 * validateSubmission, which checks the two apart.
 */
export function submissionBodyOf(type: JobType): Type<object> {
  let body = submissionClasses.get(type);
  if (!body) {
    const payload = jobDefinition(type).payload as Type<object>;
    class SubmissionBody extends payload {
      @IsOptional()
      @ValidateNested()
      @TransformType(() => JobOptions)
      options?: JobOptions;
    }
    Object.defineProperty(SubmissionBody, 'name', { value: `${payload.name.replace(/Dto$/, '')}Submission` });
    // A class's own schema refinements (an email's template-to-data pairs)
    // are keyed by its name, so the subclass takes its parent's explicitly.
    const refinements: unknown = getMetadataSchema(payload.prototype, payload.name);
    if (typeof refinements === 'function' || (typeof refinements === 'object' && refinements !== null && Object.keys(refinements).length > 0)) {
      JSONSchema(refinements as Parameters<typeof JSONSchema>[0])(SubmissionBody);
    }
    body = SubmissionBody;
    submissionClasses.set(type, body);
  }
  return body;
}
