import { Type } from '@nestjs/common';
import { JsonSchema } from './openapi-types';

/** A class-validator class (its decorators become the schema), or a JSON Schema. */
export type SchemaSource = Type<object> | JsonSchema;

/**
 * A pipe that checks a part of a request (a body, a query, a path
 * parameter) says against what, so that the document describes the part
 * with the very rules that check it.
 */
export interface DescribedInput {
  readonly describedAs: SchemaSource;
}

export function isDescribedInput(pipe: unknown): pipe is DescribedInput {
  return typeof pipe === 'object' && pipe !== null && 'describedAs' in pipe;
}
