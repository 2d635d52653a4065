import { Type } from '@nestjs/common';
import { Type as TransformType } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { FieldError, JobType } from '@baton/contracts';
import { jobDefinition } from './job-catalogue';
import { submissionBodyOf, SubmissionCheck, validateSubmission } from './job-options';

/**
 * Items one batch may hold. A batch is one transaction and one answer: its
 * size bounds how long the request holds a database connection and how
 * large the answer grows, and 500 keeps both far below a single request's
 * timeout on the slowest machine Baton is measured on.
 */
export const MAX_BATCH_ITEMS = 500;

export type BatchCheck =
  /** The envelope is wrong: not an object whose one field `items` holds 1 to MAX_BATCH_ITEMS entries. */
  | { kind: 'invalid'; errors: FieldError[] }
  /** More items than MAX_BATCH_ITEMS: refused whole, before any item is read. */
  | { kind: 'too-many'; count: number }
  /** Each item checked on its own, in order, with field paths relative to the item. */
  | { kind: 'items'; items: SubmissionCheck[] };

const ITEMS_RULE = `items must be an array of 1 to ${MAX_BATCH_ITEMS} submission bodies`;

/**
 * Checks a batch body, `{ "items": [ <a submission body>, ... ] }`: the
 * envelope first, then every item as `POST /<type>` checks its body, so that
 * one wrong item is refused alone and the others can still be accepted.
 */
export async function validateBatch(type: JobType, body: unknown): Promise<BatchCheck> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'invalid', errors: [{ field: '(body)', messages: ['must be a JSON object with one field, items'] }] };
  }
  const { items } = body as { items?: unknown };
  const errors: FieldError[] = Object.keys(body)
    .filter((key) => key !== 'items')
    .map((field) => ({ field, messages: ['is not allowed'] }));
  if (!Array.isArray(items) || items.length === 0) errors.unshift({ field: 'items', messages: [ITEMS_RULE] });
  if (errors.length > 0 || !Array.isArray(items)) return { kind: 'invalid', errors };
  if (items.length > MAX_BATCH_ITEMS) return { kind: 'too-many', count: items.length };
  return { kind: 'items', items: await Promise.all(items.map((item) => validateSubmission(type, item))) };
}

const batchClasses = new Map<JobType, Type<object>>();

/**
 * The body `POST /<type>/batch` takes, as one class for the API's document:
 * `items`, each a submission body. Validation goes through validateBatch,
 * which answers each item apart.
 */
export function batchBodyOf(type: JobType): Type<object> {
  let batch = batchClasses.get(type);
  if (!batch) {
    const submission = submissionBodyOf(type);
    class BatchBody {
      @IsArray()
      @ArrayMinSize(1)
      @ArrayMaxSize(MAX_BATCH_ITEMS)
      @ValidateNested({ each: true })
      @TransformType(() => submission)
      items!: object[];
    }
    Object.defineProperty(BatchBody, 'name', { value: `${jobDefinition(type).payload.name.replace(/Dto$/, '')}Batch` });
    batch = BatchBody;
    batchClasses.set(type, batch);
  }
  return batch;
}
