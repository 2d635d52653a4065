export { API_EXCLUDED, API_OPERATION, ApiExcluded, ApiOperation, ApiOperationOptions, ApiResponse } from './api-operation.decorator';
export { DescribedInput, SchemaSource, isDescribedInput } from './described-input';
export { DocumentedRoute, controllersOf, documentedRoutes } from './documented-routes';
export { HeaderObject, HttpMethod, JsonSchema, OpenApiDocument, OperationObject, ParameterObject, PathItem, Reference, ResponseObject } from './openapi-types';
export { SchemaComponents } from './schema-components';
