import { Type } from '@nestjs/common';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import * as validators from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { SchemaSource } from './described-input';
import { JsonSchema } from './openapi-types';

// Where class-transformer keeps each @Type (the class a nested property holds); its entry point does not export it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

const SCHEMAS = '#/components/schemas/';

// Set on a property by IsOptional, read (and removed) once the class is converted: class-validator
// skips every rule of an optional property that is null as well as one that is absent.
const NULLABLE_MARK = 'x-baton-nullable';

type Converter = (meta: { constraints: unknown[]; name?: string }) => JsonSchema;

/**
 * How class-validator's rules read as JSON Schema, where
 * class-validator-jsonschema has no word for them or the wrong one (for
 * OpenAPI 3.1, whose schemas are JSON Schema 2020-12).
 */
const CONVERTERS: Record<string, JsonSchema | Converter> = {
  // @Characters(min, max) (libs/contracts): JSON Schema counts a string's length in code points, as the decorator does.
  characters: (meta) => ({ type: 'string', minLength: meta.constraints[0], maxLength: meta.constraints[1] }),
  isUuid: { type: 'string', format: 'uuid' },
  [validators.IS_RFC_3339]: { type: 'string', format: 'date-time' },
  // Beside @IsRFC3339 or a date @Matches, which give the format: on its own it would claim both a date and a date-time.
  [validators.IS_ISO8601]: { type: 'string' },
  // Beside @CurrencyCode's @Matches, which gives the pattern.
  [validators.IS_ISO4217_CURRENCY_CODE]: { type: 'string' },
  [validators.IS_URL]: { type: 'string', format: 'uri' },
  [validators.IS_BASE64]: { type: 'string', contentEncoding: 'base64' },
  [validators.ValidationTypes.CONDITIONAL_VALIDATION]: (meta) => (meta.name === validators.IS_OPTIONAL ? { [NULLABLE_MARK]: true } : {}),
  // A check JSON Schema cannot state (an invoice's total fits a JSON number, a logo decodes): the document leaves it to the 400.
  [validators.ValidationTypes.CUSTOM_VALIDATION]: {},
};

/**
 * The `components.schemas` of a document, filled as operations refer to
 * schemas: a class-validator class becomes a schema named after the class
 * (with every class it nests), and a JSON Schema with a `title` a schema of
 * that name, so that each shape is written once in the document.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  private classSchemas?: Record<string, JsonSchema>;

  /** A schema that refers to `source`, whose own schema (and every one it refers to) is now among the components. */
  reference(source: SchemaSource): JsonSchema {
    if (typeof source === 'function') {
      this.addClass(source.name);
      return { $ref: `${SCHEMAS}${source.name}` };
    }
    return this.hoist(JSON.parse(JSON.stringify(source)) as JsonSchema);
  }

  /** The properties of a class as query parameters: each one's schema, and whether it is required. */
  queryParameters(type: Type<object>): Array<{ name: string; required: boolean; schema: JsonSchema }> {
    const schema = this.convertedClasses()[type.name];
    if (!schema) throw new Error(`${type.name} has no class-validator rules to describe a query with`);
    const required = (schema.required as string[] | undefined) ?? [];
    return Object.entries(schema.properties as Record<string, JsonSchema>).map(([name, property]) => ({
      name,
      required: required.includes(name),
      // A query string cannot carry a null.
      schema: withoutNull(property),
    }));
  }

  private addClass(name: string): void {
    if (this.schemas[name]) return;
    const schema = this.convertedClasses()[name];
    if (!schema) throw new Error(`${name} has no class-validator rules: the document cannot describe it`);
    this.schemas[name] = schema;
    for (const referred of references(schema)) if (referred.startsWith(SCHEMAS)) this.addClass(referred.slice(SCHEMAS.length));
  }

  private hoist(schema: JsonSchema): JsonSchema {
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(walk);
      if (typeof node !== 'object' || node === null) return node;
      const walked = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value)])) as JsonSchema;
      if (typeof walked.title !== 'string') return walked;
      const { title, ...rest } = walked;
      const known = this.schemas[title as string];
      if (known && JSON.stringify(known) !== JSON.stringify(rest)) throw new Error(`two different schemas are named ${title}`);
      this.schemas[title as string] = rest;
      return { $ref: `${SCHEMAS}${title as string}` };
    };
    return walk(schema) as JsonSchema;
  }

  private convertedClasses(): Record<string, JsonSchema> {
    this.classSchemas ??= Object.fromEntries(
      Object.entries(
        validationMetadatasToSchemas({
          refPointerPrefix: SCHEMAS,
          classTransformerMetadataStorage: defaultMetadataStorage,
          additionalConverters: CONVERTERS as never,
        }),
      ).map(([name, schema]) => [name, asValidated(schema as JsonSchema)]),
    );
    return this.classSchemas;
  }
}

/**
 * A class's schema as Baton's validation applies it (PAYLOAD_VALIDATION):
 * a property it does not know is refused, and an optional one may be null.
 */
function asValidated(schema: JsonSchema): JsonSchema {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const nullable = (property: JsonSchema): JsonSchema => {
    if (!property[NULLABLE_MARK]) return property;
    const { [NULLABLE_MARK]: _, ...rest } = property;
    return { anyOf: [rest, { type: 'null' }] };
  };
  return {
    ...schema,
    properties: Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, nullable(property)])),
    additionalProperties: false,
  };
}

function withoutNull(schema: JsonSchema): JsonSchema {
  const options = schema.anyOf as JsonSchema[] | undefined;
  return options?.length === 2 && options[1].type === 'null' ? options[0] : schema;
}

function references(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(references);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [value] : references(value)));
}
