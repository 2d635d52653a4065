import { HeaderObject, ParameterObject, Reference, ResponseObject } from '@baton/openapi';
import { API_SCOPES } from '@baton/auth';
import { DATABASE_RETRY_AFTER_SECONDS } from '../http/http-exception.filter';
import { ACCEPTABLE_ID } from '../http/correlation-id';
import { IDEMPOTENCY_KEY_PATTERN } from '@baton/contracts';

/**
 * What many routes of the API share, written once in the document's
 * `components` and referred to: the API key, the request id, the
 * Idempotency-Key, the rate limit's headers and the errors every /v1 route
 * can answer.
 */
export const API_KEY_SCHEME = 'apiKey';

const ref = (kind: 'parameters' | 'headers' | 'responses' | 'schemas', name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });

export const ERROR_SCHEMA_REF = ref('schemas', 'Error');

export const PARAMETERS: Record<string, ParameterObject> = {
  RequestId: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description: 'An id for the request, echoed in the answer and carried with the job; a value that is not a plain token is replaced by a fresh UUID.',
    schema: { type: 'string', pattern: ACCEPTABLE_ID.source },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes the request safe to retry: the same key with the same body answers 200 with the first job (Idempotent-Replayed: true) and creates no second one; with another body, 409.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN.source },
  },
};

export const REQUEST_ID_PARAMETER = ref('parameters', 'RequestId');
export const IDEMPOTENCY_KEY_PARAMETER = ref('parameters', 'IdempotencyKey');

const integerHeader = (description: string): HeaderObject => ({ description, required: true, schema: { type: 'integer', minimum: 0 } });

export const HEADERS: Record<string, HeaderObject> = {
  RequestId: { description: "The request's id: the client's X-Request-Id when it was a plain token, else a fresh UUID.", required: true, schema: { type: 'string' } },
  Location: { description: 'Where to read the job: `/v1/jobs/<jobId>`.', required: true, schema: { type: 'string' } },
  IdempotentReplayed: { description: 'On a repeat of an earlier request with the same Idempotency-Key.', required: true, schema: { type: 'string', const: 'true' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'integer', minimum: 0 } },
  RateLimitLimit: integerHeader("Requests the API key may make per window (IETF RateLimit header fields draft)."),
  RateLimitRemaining: integerHeader('Requests left in the current window.'),
  RateLimitReset: integerHeader('Seconds until the window resets.'),
  WwwAuthenticate: { description: 'The Bearer challenge, with `error="invalid_token"` or `error="insufficient_scope"` and the scope needed.', required: true, schema: { type: 'string' } },
};

export const headerRef = (name: keyof typeof HEADERS): Reference => ref('headers', name);

/** On every answer of a route that counts against the rate limit (every /v1 route). */
export const RATE_LIMIT_HEADERS: Record<string, Reference> = {
  'RateLimit-Limit': headerRef('RateLimitLimit'),
  'RateLimit-Remaining': headerRef('RateLimitRemaining'),
  'RateLimit-Reset': headerRef('RateLimitReset'),
};

/** An error answer: the error shape, the request id, and `headers`. */
export function errorResponse(description: string, headers: Record<string, HeaderObject | Reference> = {}): ResponseObject {
  return {
    description,
    headers: { 'X-Request-Id': headerRef('RequestId'), ...headers },
    content: { 'application/json': { schema: ERROR_SCHEMA_REF } },
  };
}

const retryAfter = { 'Retry-After': headerRef('RetryAfter') };

/** The errors a route can answer whatever it does, named by status. */
export const SHARED_ERRORS = {
  400: ['BadRequest', errorResponse('A field, parameter or header is wrong, or the body is not JSON: `errors` names each wrong field.')],
  401: ['Unauthorized', errorResponse('No API key, another scheme than Bearer, or an unknown or revoked key.', { 'WWW-Authenticate': headerRef('WwwAuthenticate'), ...RATE_LIMIT_HEADERS })],
  403: ['Forbidden', errorResponse('The API key lacks the scope the route needs.', { 'WWW-Authenticate': headerRef('WwwAuthenticate'), ...RATE_LIMIT_HEADERS })],
  413: ['PayloadTooLarge', errorResponse('The body is over 1 MiB.')],
  415: ['UnsupportedMediaType', errorResponse('The body is not `application/json`.')],
  429: ['TooManyRequests', errorResponse("The API key has spent its budget for the window: retry after Retry-After seconds.", { ...retryAfter, ...RATE_LIMIT_HEADERS })],
  503: ['ServiceUnavailable', errorResponse(`PostgreSQL is unreachable: retry after Retry-After seconds (${DATABASE_RETRY_AFTER_SECONDS}).`, { ...retryAfter, ...RATE_LIMIT_HEADERS })],
} as const satisfies Record<number, readonly [string, ResponseObject]>;

export const sharedError = (status: keyof typeof SHARED_ERRORS): Reference => ref('responses', SHARED_ERRORS[status][0]);

export const SECURITY_SCHEMES = {
  [API_KEY_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description: `An API key, sent as \`Authorization: Bearer <key>\`. Each operation names the scope it needs: ${API_SCOPES.map((scope) => `\`${scope}\``).join(', ')} (\`admin\` grants every scope but \`operator\`, which grants every scope and the operations that concern every tenant).`,
  },
};
