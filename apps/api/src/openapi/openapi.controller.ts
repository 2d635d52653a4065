import { Controller, Get, Res } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { ApiOperation, controllersOf, documentedRoutes } from '@baton/openapi';
import { apiDocument } from './api-document';

export const OPENAPI_PATH = 'openapi.json';

/**
 * `GET /openapi.json`: the document of the routes this process serves,
 * made once at start from every controller Nest found, so that a route
 * without its @ApiOperation stops the process at start, naming the route.
 * Registered only when OPENAPI_ENABLED; it needs no API key (not /v1).
 */
@Controller()
export class OpenApiController {
  private readonly document: string;

  constructor(modules: ModulesContainer) {
    this.document = JSON.stringify(apiDocument(documentedRoutes(controllersOf(modules))));
  }

  @Get(OPENAPI_PATH)
  @ApiOperation({
    operationId: 'getOpenApiDocument',
    summary: "This API's OpenAPI 3.1 document.",
    responses: { 200: { description: 'The document.', schema: { type: 'object', additionalProperties: true } } },
  })
  openApiDocument(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.type('application/json; charset=utf-8');
    return this.document;
  }
}
