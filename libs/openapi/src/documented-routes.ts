import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { API_EXCLUDED, API_OPERATION, ApiOperationOptions } from './api-operation.decorator';
import { isDescribedInput, SchemaSource } from './described-input';
import { HttpMethod } from './openapi-types';

/** One HTTP route of a controller, with everything its decorators say of it. */
export interface DocumentedRoute {
  method: HttpMethod;
  /** As OpenAPI writes it: `/v1/jobs/{jobId}`. */
  path: string;
  controller: Type<unknown>;
  handler: Function;
  operation: ApiOperationOptions;
  /** Each `:name` of the path, with what its pipe checks it against (a plain string when no pipe says). */
  pathParameters: Array<{ name: string; schema?: SchemaSource }>;
  query?: SchemaSource;
  body?: SchemaSource;
}

interface RouteArgument {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

/** Every controller class of an application, as Nest found them in its modules. */
export function controllersOf(modules: ModulesContainer): Array<Type<unknown>> {
  const controllers = [...modules.values()].flatMap((module) => [...module.controllers.values()].map((wrapper) => wrapper.metatype as Type<unknown>));
  return [...new Set(controllers)];
}

/**
 * The HTTP routes of `controllers` (handlers with a method decorator;
 * message handlers have none), each with its ApiOperation, leaving out the
 * controllers marked ApiExcluded. Throws, naming
 * each, when a route has no ApiOperation or a body no pipe describes.
 */
export function documentedRoutes(controllers: ReadonlyArray<Type<unknown>>): DocumentedRoute[] {
  const scanner = new MetadataScanner();
  const problems: string[] = [];
  const routes = controllers.filter((controller) => !Reflect.getMetadata(API_EXCLUDED, controller)).flatMap((controller) =>
    scanner.getAllMethodNames(controller.prototype).flatMap((name) => {
      const handler = (controller.prototype as Record<string, Function>)[name];
      const requestMethod: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
      if (requestMethod === undefined) return [];
      const method = RequestMethod[requestMethod].toLowerCase() as HttpMethod;
      const paths = joinPaths(Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler));
      const operation: ApiOperationOptions | undefined = Reflect.getMetadata(API_OPERATION, handler);
      if (!operation) {
        problems.push(`${method.toUpperCase()} ${paths[0]} (${controller.name}.${name}) has no @ApiOperation`);
        return [];
      }
      const inputs = inputsOf(controller, name);
      if (inputs.undescribedBody) problems.push(`${method.toUpperCase()} ${paths[0]} (${controller.name}.${name}) takes a body no pipe describes (DescribedInput)`);
      return paths.map((path) => ({
        method,
        path,
        controller,
        handler,
        operation,
        pathParameters: [...path.matchAll(/\{([^}]+)\}/g)].map(([, parameter]) => ({ name: parameter, schema: inputs.parameters.get(parameter) })),
        query: inputs.query,
        body: inputs.body,
      }));
    }),
  );
  if (problems.length > 0) throw new Error(`Routes the OpenAPI document cannot describe (see docs/openapi.md):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  return routes;
}

/** Nest's path (or paths) of a controller and a handler, as OpenAPI paths. */
function joinPaths(controllerPath: string | string[] | undefined, handlerPath: string | string[] | undefined): string[] {
  const prefixes = [controllerPath ?? ''].flat();
  const suffixes = [handlerPath ?? ''].flat();
  return prefixes.flatMap((prefix) =>
    suffixes.map((suffix) => {
      const joined = `/${prefix}/${suffix}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
      return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    }),
  );
}

/** What the pipes of a handler's parameters check: path parameters by name, the whole query, the body. */
function inputsOf(controller: Type<unknown>, method: string) {
  const declared: Record<string, RouteArgument> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {};
  const parameters = new Map<string, SchemaSource>();
  let query: SchemaSource | undefined;
  let body: SchemaSource | undefined;
  let undescribedBody = false;
  for (const [key, argument] of Object.entries(declared)) {
    const type = Number(key.split(':')[0]);
    const described = argument.pipes?.find(isDescribedInput)?.describedAs;
    if (type === RouteParamtypes.PARAM && typeof argument.data === 'string' && described) parameters.set(argument.data, described);
    if (type === RouteParamtypes.QUERY && argument.data === undefined) query = described;
    if (type === RouteParamtypes.BODY) {
      body = described;
      undescribedBody = described === undefined;
    }
  }
  return { parameters, query, body, undescribedBody };
}
