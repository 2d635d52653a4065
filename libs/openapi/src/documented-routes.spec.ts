import 'reflect-metadata';
import { Body, Controller, Get, Injectable, Param, PipeTransform, Post, Put, Query } from '@nestjs/common';
import { IsInt, IsOptional, IsString } from 'class-validator';
import { ApiOperation } from './api-operation.decorator';
import { DescribedInput } from './described-input';
import { documentedRoutes } from './documented-routes';
import { SchemaComponents } from './schema-components';

@Injectable()
class Described implements PipeTransform, DescribedInput {
  constructor(readonly describedAs: DescribedInput['describedAs']) {}
  transform(value: unknown) {
    return value;
  }
}

class ThingQuery {
  @IsOptional()
  @IsInt()
  limit?: number;
}

class ThingBody {
  @IsString()
  name: string;

  @IsOptional()
  @IsString()
  note?: string;
}

const operation = (operationId: string) => ApiOperation({ operationId, summary: operationId, responses: { 200: { description: 'ok' } } });

@Controller('v1/things')
class ThingsController {
  @Get()
  @operation('listThings')
  list(@Query(new Described(ThingQuery)) _query: ThingQuery) {}

  @Get(':thingId/parts/:partId')
  @operation('getPart')
  part(@Param('thingId', new Described({ type: 'string', format: 'uuid' })) _thing: string, @Param('partId') _part: string) {}

  @Put(['', 'current'])
  @operation('putThing')
  put(@Body(new Described(ThingBody)) _body: ThingBody) {}
}

describe(documentedRoutes.name, () => {
  it('reads method, OpenAPI path, path parameters, query and body from the handlers and their pipes', () => {
    const routes = documentedRoutes([ThingsController]);
    expect(routes.map(({ method, path, operation: { operationId } }) => `${method} ${path} ${operationId}`)).toEqual([
      'get /v1/things listThings',
      'get /v1/things/{thingId}/parts/{partId} getPart',
      'put /v1/things putThing',
      'put /v1/things/current putThing',
    ]);
    expect(routes[0].query).toBe(ThingQuery);
    expect(routes[1].pathParameters).toEqual([{ name: 'thingId', schema: { type: 'string', format: 'uuid' } }, { name: 'partId', schema: undefined }]);
    expect(routes[2].body).toBe(ThingBody);
  });

  it('refuses a route without @ApiOperation, and a body no pipe describes, naming each', () => {
    @Controller('v1/undocumented')
    class UndocumentedController {
      @Get(':id')
      read() {}

      @Post()
      @operation('createUndocumented')
      create(@Body() _body: unknown) {}
    }
    expect(() => documentedRoutes([ThingsController, UndocumentedController])).toThrow(
      /GET \/v1\/undocumented\/\{id\} \(UndocumentedController\.read\) has no @ApiOperation[\s\S]*POST \/v1\/undocumented \(UndocumentedController\.create\) takes a body no pipe describes/,
    );
  });
});

describe(SchemaComponents.name, () => {
  it('names a class schema after the class: unknown properties refused, optional ones nullable', () => {
    const components = new SchemaComponents();
    expect(components.reference(ThingBody)).toEqual({ $ref: '#/components/schemas/ThingBody' });
    expect(components.schemas.ThingBody).toEqual({
      type: 'object',
      properties: { name: { type: 'string' }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      required: ['name'],
      additionalProperties: false,
    });
  });

  it('makes query parameters of a class, without the null a query string cannot carry', () => {
    expect(new SchemaComponents().queryParameters(ThingQuery)).toEqual([{ name: 'limit', required: false, schema: { type: 'integer' } }]);
  });

  it('hoists titled JSON Schemas into named components, and refuses two different ones of one name', () => {
    const components = new SchemaComponents();
    const part = { title: 'Part', type: 'object', properties: { id: { type: 'string' } } };
    expect(components.reference({ type: 'array', items: part })).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Part' } });
    expect(components.schemas.Part).toEqual({ type: 'object', properties: { id: { type: 'string' } } });
    expect(() => components.reference({ ...part, properties: {} })).toThrow(/two different schemas are named Part/);
  });
});
