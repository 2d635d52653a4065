import { ApiResponse, DocumentedRoute, OpenApiDocument, OperationObject, ParameterObject, PathItem, Reference, ResponseObject, SchemaComponents } from '@baton/openapi';
import { LIVE_PATH, READY_PATH } from '@baton/health';
import { isApiRoute } from '../auth/api-key-authentication';
import { REQUIRED_SCOPE } from '../auth/require-scope.decorator';
import { ErrorBodySchema } from '../http/error-body';
import {
  API_KEY_SCHEME,
  errorResponse,
  headerRef,
  HEADERS,
  PARAMETERS,
  RATE_LIMIT_HEADERS,
  REQUEST_ID_PARAMETER,
  SECURITY_SCHEMES,
  SHARED_ERRORS,
  sharedError,
} from './api-components';
import { webhooksSection } from './webhook-events';

/**
 * The API's OpenAPI 3.1 document, made from its routes' own metadata
 * (documentedRoutes): what each route says of itself with @ApiOperation,
 * what its pipes check, the scope it requires; and, the same for every
 * route, the API key, the request id, the rate limit and the errors that
 * authentication, body parsing and an unreachable database can answer.
 */
export function apiDocument(routes: readonly DocumentedRoute[]): OpenApiDocument {
  const components = new SchemaComponents();
  components.reference(ErrorBodySchema);
  const paths: Record<string, PathItem> = { ...HEALTH_PATHS };
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is declared twice`);
    item[route.method] = operationOf(route, components);
  }
  const webhooks = webhooksSection(components);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: '1',
      description:
        'Baton takes slow work off a backend\'s request path: it answers `202 Accepted` with a job id, stores the job in PostgreSQL and hands it to workers over RabbitMQ. Read the result back by job id, or receive it as a webhook.',
    },
    paths: sortedByKey(paths),
    webhooks,
    components: {
      schemas: sortedByKey(components.schemas),
      responses: Object.fromEntries(Object.values(SHARED_ERRORS).map(([name, response]) => [name, response])),
      parameters: PARAMETERS,
      headers: HEADERS,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

function operationOf(route: DocumentedRoute, components: SchemaComponents): OperationObject {
  const { operation } = route;
  const needsKey = isApiRoute(route.path);
  const pathParameters: ParameterObject[] = route.pathParameters.map(({ name, schema }) => ({
    name,
    in: 'path',
    required: true,
    schema: schema ? components.reference(schema) : { type: 'string' },
  }));
  if (route.query !== undefined && typeof route.query !== 'function') throw new Error(`${route.path}: a query is described by its class`);
  const queryParameters: ParameterObject[] = route.query
    ? components.queryParameters(route.query).map(({ name, required, schema }) => ({ name, in: 'query', required, schema }))
    : [];
  const headers = operation.headers ?? [];
  const validatesInput = route.body !== undefined || route.query !== undefined || route.pathParameters.some(({ schema }) => schema) || headers.length > 0;

  const commonHeaders: Record<string, Reference> = { 'X-Request-Id': headerRef('RequestId'), ...(needsKey ? RATE_LIMIT_HEADERS : {}) };
  const responses: Record<string, ResponseObject | Reference> = {};
  for (const [status, declared] of Object.entries(operation.responses)) {
    responses[status] = typeof declared === 'string' ? errorResponse(declared, commonHeaders) : responseOf(declared, commonHeaders, components);
  }
  const shared: Array<keyof typeof SHARED_ERRORS> = [
    ...(validatesInput ? [400 as const] : []),
    ...(needsKey ? [401 as const, 403 as const] : []),
    ...(route.body ? [413 as const, 415 as const] : []),
    ...(needsKey ? [429 as const, 503 as const] : []),
  ];
  for (const status of shared) responses[status] ??= sharedError(status);

  const scope: string | undefined = Reflect.getMetadata(REQUIRED_SCOPE, route.handler);
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [tagOf(route.path)],
    parameters: [...pathParameters, ...queryParameters, ...headers, REQUEST_ID_PARAMETER],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: components.reference(route.body) } } } } : {}),
    responses: sortedByKey(responses),
    // OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs: here, the API key's scope.
    security: needsKey ? [{ [API_KEY_SCHEME]: scope ? [scope] : [] }] : [],
  };
}

function responseOf(response: ApiResponse, commonHeaders: Record<string, Reference>, components: SchemaComponents): ResponseObject {
  return {
    description: response.description,
    headers: { ...commonHeaders, ...response.headers },
    ...(response.schema ? { content: { [response.mediaType ?? 'application/json']: { schema: components.reference(response.schema) } } } : {}),
  };
}

/** The resource a path is about: `/v1/jobs/{jobId}/retry` is about jobs. */
function tagOf(path: string): string {
  return path.split('/').find((segment) => segment !== '' && segment !== 'v1' && !segment.startsWith('{')) ?? 'api';
}

function sortedByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// Served by the health library on the HTTP server itself, before any route (libs/health), so no controller declares them.
const probe = (operationId: string, summary: string): PathItem => ({
  get: {
    operationId,
    summary,
    tags: ['health'],
    security: [],
    responses: {
      '200': { description: 'Yes.', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } },
      '503': { description: 'No: the body says which check failed.', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } },
    },
  },
});

const HEALTH_PATHS: Record<string, PathItem> = {
  [LIVE_PATH]: probe('getLiveness', 'Whether the process answers (Kubernetes liveness probe).'),
  [READY_PATH]: probe('getReadiness', 'Whether the process can do its work: PostgreSQL reachable, not shutting down (readiness probe).'),
};
