import { SetMetadata } from '@nestjs/common';
import { HeaderObject, JsonSchema, ParameterObject, Reference } from './openapi-types';

export const API_OPERATION = 'baton:api-operation';

/** One answer of a route, as the document shows it. */
export interface ApiResponse {
  description: string;
  /**
   * The body's JSON Schema (a TypeBox schema is one); a schema with a
   * `title` becomes a named component. Left out on an error status, the
   * body is the API's error shape.
   */
  schema?: JsonSchema;
  /** The body's media type, when not JSON (a PDF). */
  mediaType?: string;
  headers?: Record<string, HeaderObject | Reference>;
}

/**
 * What a route's own metadata cannot say. Method and path come from its
 * Nest decorators; path parameters, the query and the body from the pipes
 * that validate them (DescribedInput); the errors every route shares, the
 * security and the common headers from the document that assembles it.
 */
export interface ApiOperationOptions {
  /** The name clients call it by (the generated client's `operations` key). */
  operationId: string;
  /** One line: what it does. */
  summary: string;
  description?: string;
  /** Request headers it reads, besides those every route reads. */
  headers?: Array<ParameterObject | Reference>;
  /** Every answer particular to the route, by status: a string is an error answer's description. */
  responses: Record<number, ApiResponse | string>;
}

/**
 * Documents a route in the API's OpenAPI document. Every HTTP route of a
 * controller must carry one: the document refuses to build, naming the
 * route, while one does not (docs/openapi.md, "Documenting a route").
 */
export function ApiOperation(options: ApiOperationOptions): MethodDecorator {
  return SetMetadata(API_OPERATION, options);
}

export const API_EXCLUDED = 'baton:api-excluded';

/**
 * A controller whose routes are not part of the public API, and so not in
 * its document: the dashboard's, which only its own page calls, with a
 * session cookie, and which may change with it.
 */
export function ApiExcluded(): ClassDecorator {
  return SetMetadata(API_EXCLUDED, true);
}
