/**
 * The OpenAPI document an API application serves, checked against the
 * application itself: valid OpenAPI 3.1, every route Fastify serves in it
 * with its method (and nothing it does not serve), disabled job types left
 * out as their routes are, the route gone with OPENAPI_ENABLED=false, and @baton/client's
 * generated types equal to what the document generates. The application is
 * the API process's own (createApiApplication), with PostgreSQL and
 * RabbitMQ unreachable: it starts without them, and none of this needs them.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApplication } from '@baton/api';
import { loadConfig } from '@baton/config';
import { OpenApiDocument } from '@baton/openapi';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { clientTypesOf, CLIENT_TYPES_PATH } = require('../../scripts/generate-client-types') as {
  clientTypesOf(document: OpenApiDocument): string;
  CLIENT_TYPES_PATH: string;
};

/** Never reached: the API connects in the background and starts without them. */
const UNREACHABLE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/baton', RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1' };

interface ServedApi {
  app: NestFastifyApplication;
  /**
   * Every route Fastify registered, as `METHOD /path` with OpenAPI's
   * `{param}`; HEAD and OPTIONS left out, and the dashboard's, which only
   * its own page calls (docs/dashboard.md).
   */
  routes: string[];
}

async function startApi(env: Record<string, string> = {}): Promise<ServedApi> {
  const routes: string[] = [];
  const app = await createApiApplication(loadConfig({ ...UNREACHABLE, ...env }), false, (created) => {
    created.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD' || method === 'OPTIONS' || route.url.startsWith('/dashboard')) continue;
        routes.push(`${method} ${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
      }
    });
  });
  await app.init();
  return { app, routes };
}

async function documentOf(app: NestFastifyApplication): Promise<OpenApiDocument> {
  const answer = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(answer.statusCode).toBe(200);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  return answer.json();
}

const documentedRoutes = (document: OpenApiDocument): string[] =>
  Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

// Served by the health library on the HTTP server itself, not by Fastify's router.
const HEALTH_ROUTES = ['GET /health/live', 'GET /health/ready'];

describe('the OpenAPI document', () => {
  let api: ServedApi;
  let document: OpenApiDocument;

  beforeAll(async () => {
    api = await startApi();
    document = await documentOf(api.app);
  });

  afterAll(async () => api?.app.close());

  it('is served without an API key and is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    // validate() dereferences what it is given: a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('has every route the API serves, with its method, and no other', () => {
    expect(api.routes.length).toBeGreaterThanOrEqual(14);
    expect(api.routes).toContain('GET /v1/jobs/{jobId}');
    expect(documentedRoutes(document).sort()).toEqual([...api.routes, ...HEALTH_ROUTES].sort());
  });

  it("leaves out the dashboard's routes: they are not part of the public API", () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
  });

  it('names the scope of each /v1 operation and asks no key elsewhere', () => {
    expect(document.paths['/v1/jobs/{jobId}/retry']?.post?.security).toEqual([{ apiKey: ['admin'] }]);
    expect(document.paths['/v1/workouts']?.post?.security).toEqual([{ apiKey: ['jobs:write'] }]);
    expect(document.paths['/openapi.json']?.get?.security).toEqual([]);
  });

  it('describes a submission: body from its payload class and options, Idempotency-Key, 202 with Location, 200 replayed, the errors', () => {
    const submit = document.paths['/v1/workouts']!.post!;
    expect(submit.requestBody?.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateWorkoutSubmission' });
    expect(submit.parameters).toEqual(expect.arrayContaining([{ $ref: '#/components/parameters/IdempotencyKey' }, { $ref: '#/components/parameters/RequestId' }]));
    expect(Object.keys(submit.responses).sort()).toEqual(['200', '202', '400', '401', '403', '409', '413', '415', '429', '503']);
    expect(Object.keys((submit.responses['202'] as { headers: object }).headers)).toEqual(expect.arrayContaining(['Location', 'X-Request-Id', 'RateLimit-Remaining']));
    expect(Object.keys((submit.responses['200'] as { headers: object }).headers)).toContain('Idempotent-Replayed');
    // The rules of the DTO itself, in the schema: @Characters as code points, @IsIn as an enum, optional as nullable.
    const workout = document.components.schemas!.CreateWorkoutSubmission as { properties: Record<string, object>; required: string[]; additionalProperties: boolean };
    expect(workout.properties.userId).toEqual({ type: 'string', minLength: 1, maxLength: 64 });
    expect(workout.properties.activity).toMatchObject({ enum: ['run', 'ride', 'swim', 'walk', 'strength', 'yoga', 'other'] });
    expect(workout.required.sort()).toEqual(['activity', 'durationSec', 'startedAt', 'userId']);
    expect(workout.additionalProperties).toBe(false);
    // The reserved options, beside the payload's fields.
    expect(workout.properties.options).toEqual({ anyOf: [{ $ref: '#/components/schemas/JobOptions' }, { type: 'null' }] });
    const options = document.components.schemas!.JobOptions as { properties: Record<string, object>; additionalProperties: boolean };
    expect(Object.keys(options.properties).sort()).toEqual(['delaySec', 'idempotencyKey', 'runAt']);
    expect(options.additionalProperties).toBe(false);
  });

  it('describes the batch route beside each submission route: items of the submission body, one result per item, its own 413', () => {
    const batch = document.paths['/v1/workouts/batch']!.post!;
    expect(batch.operationId).toBe('submitWorkoutsBatch');
    expect(batch.security).toEqual([{ apiKey: ['jobs:write'] }]);
    expect(batch.requestBody?.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateWorkoutBatch' });
    expect(document.components.schemas!.CreateWorkoutBatch).toMatchObject({
      properties: { items: { type: 'array', minItems: 1, maxItems: 500, items: { $ref: '#/components/schemas/CreateWorkoutSubmission' } } },
      required: ['items'],
      additionalProperties: false,
    });
    // A key belongs to an item: the header is not among the batch's parameters.
    expect(batch.parameters).not.toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(Object.keys(batch.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '503']);
    expect(batch.responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } } } });
    expect(batch.responses['413']).toMatchObject({ description: expect.stringMatching(/500 items.*5 MiB/) });
    const result = document.components.schemas!.BatchResult as { properties: { results: { items: { anyOf: object[] } } } };
    expect(result.properties.results.items.anyOf).toEqual(
      ['BatchItemAccepted', 'BatchItemReplayed', 'BatchItemRefused'].map((name) => ({ $ref: `#/components/schemas/${name}` })),
    );
    for (const type of ['invoices', 'emails']) expect(document.paths[`/v1/${type}/batch`]?.post).toBeDefined();
  });

  it("keeps a payload class's own refinements on its submission body: an email's template-to-data pairs", () => {
    const email = document.components.schemas!.SendEmailSubmission as { oneOf: Array<{ properties: { template: { const: string } } }>; properties: Record<string, object> };
    expect(email.oneOf.map((branch) => branch.properties.template.const)).toEqual(['welcome', 'order-confirmation']);
    expect(email.properties.options).toBeDefined();
  });

  it('describes every event delivery as a webhook with its envelope and Standard Webhooks headers', () => {
    expect(Object.keys(document.webhooks ?? {}).sort()).toEqual(['email.sent', 'invoice.rendered', 'job.cancelled', 'job.completed', 'job.dead', 'workout.saved']);
    const completed = document.webhooks!['job.completed'].post!;
    expect(completed.parameters?.map((parameter) => ('name' in parameter ? parameter.name : parameter.$ref))).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    const envelope = document.components.schemas!.JobCompletedEvent as { properties: Record<string, object> };
    expect(envelope.properties.data).toEqual({ $ref: '#/components/schemas/Job' });
    expect(Object.keys(envelope.properties).sort()).toEqual(['correlationId', 'data', 'dataVersion', 'id', 'jobId', 'tenant', 'timestamp', 'type']);
  });

  it("is what @baton/client's checked-in types were generated from (run `npm run client:generate` after changing a route)", async () => {
    expect(clientTypesOf(document)).toBe(readFileSync(CLIENT_TYPES_PATH, 'utf8'));
  });
});

describe('the OpenAPI document of an API with a job type disabled', () => {
  it('leaves out the type, as the API does its route', async () => {
    const api = await startApi({ DISABLED_JOB_TYPES: 'emails' });
    try {
      const document = await documentOf(api.app);
      expect(api.routes).not.toContain('POST /v1/emails');
      expect(document.paths['/v1/emails']).toBeUndefined();
      expect(api.routes).not.toContain('POST /v1/emails/batch');
      expect(document.paths['/v1/emails/batch']).toBeUndefined();
      expect(document.paths['/v1/workouts']?.post).toBeDefined();
      expect(documentedRoutes(document).sort()).toEqual([...api.routes, ...HEALTH_ROUTES].sort());
    } finally {
      await api.app.close();
    }
  });
});

describe('OPENAPI_ENABLED=false', () => {
  it('answers GET /openapi.json 404, in the error shape', async () => {
    const api = await startApi({ OPENAPI_ENABLED: 'false' });
    try {
      const answer = await api.app.inject({ method: 'GET', url: '/openapi.json' });
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(api.routes).not.toContain('GET /openapi.json');
    } finally {
      await api.app.close();
    }
  });
});

describe('DASHBOARD_ENABLED=false', () => {
  it('answers 404 for the dashboard page, its files and its routes, which are served by default', async () => {
    const paths = ['/dashboard', '/dashboard/', '/dashboard/assets/app.js', '/dashboard/api/session'];
    const served = await startApi();
    try {
      expect((await served.app.inject({ method: 'GET', url: '/dashboard' })).statusCode).toBe(200);
    } finally {
      await served.app.close();
    }
    const api = await startApi({ DASHBOARD_ENABLED: 'false' });
    try {
      for (const url of paths) expect({ url, status: (await api.app.inject({ method: 'GET', url })).statusCode }).toEqual({ url, status: 404 });
      expect((await api.app.inject({ method: 'POST', url: '/dashboard/api/session', payload: { apiKey: 'x' } })).statusCode).toBe(404);
    } finally {
      await api.app.close();
    }
  });
});
