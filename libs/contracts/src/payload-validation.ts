import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

// Every body the API takes and every job a worker runs is validated here.
cacheValidationMetadata();

/** One wrong field: its dotted path (`sets.3.reps`) and what is wrong with it. */
export interface FieldError {
  field: string;
  messages: string[];
}

/** The validation options shared by the API's pipe and the worker's check. */
export const PAYLOAD_VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const;

export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.replace(/^property (\S+) should not exist$/, 'is not allowed'),
    );
    const nested = toFieldErrors(error.children ?? [], field);
    return own.length > 0 ? [{ field, messages: own }, ...nested] : nested;
  });
}

export type PayloadCheck<T> = { valid: true; payload: T } | { valid: false; errors: FieldError[] };

/** Validates a JSON body against its class: every rule of a job payload, for any body the API takes. */
export async function validateBody<T extends object>(type: new () => T, plain: unknown): Promise<PayloadCheck<T>> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { valid: false, errors: [{ field: '(body)', messages: ['must be a JSON object'] }] };
  }
  // Checked first, without recursion: the transformer and validators recurse
  // and would overflow the stack on a few kilobytes of nested brackets.
  if (nestingDepth(plain) > MAX_NESTING_DEPTH) {
    return { valid: false, errors: [{ field: '(body)', messages: [`must not nest deeper than ${MAX_NESTING_DEPTH} levels`] }] };
  }
  const payload = plainToInstance(type, plain);
  const errors = toFieldErrors(await validate(payload, PAYLOAD_VALIDATION)).concat(unacceptableValues(plain));
  return errors.length === 0 ? { valid: true, payload } : { valid: false, errors };
}

/** The deepest payload has objects in arrays in objects: 3 levels. Anything far deeper is not a payload. */
const MAX_NESTING_DEPTH = 32;

function nestingDepth(root: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_NESTING_DEPTH) return deepest;
    for (const item of Object.values(value)) pending.push([item, depth + 1]);
  }
  return deepest;
}

// Keys that name members of every object (toString, constructor, __proto__...):
// class-transformer skips them, so the whitelist would never see them and
// they would be dropped silently instead of refused.
const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * What the validators cannot see: PostgreSQL text and jsonb cannot hold
 * U+0000 or a lone UTF-16 surrogate, so a string with one could be accepted
 * but never stored; and keys named after Object's own members. Both are
 * refused up front, by field.
 */
function unacceptableValues(value: unknown, path = ''): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return [{ field: path || '(body)', messages: ['must not contain the NUL character'] }];
    if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
      return [{ field: path || '(body)', messages: ['must be well-formed Unicode (no lone surrogates)'] }];
    }
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const field = path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && OBJECT_MEMBERS.has(key)) return [{ field, messages: ['is not allowed'] }];
    return unacceptableValues(item, field);
  });
}
