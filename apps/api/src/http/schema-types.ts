import { TArray, TNull, TSchema, TString, TUnion, Type } from '@sinclair/typebox';

/**
 * The pieces the API's answer schemas are made of (TypeBox: each is a JSON
 * Schema and a TypeScript type at once, so an answer's view function is
 * typed by the very schema the OpenAPI document shows).
 */
export const Uuid = (options: { description?: string } = {}) => Type.String({ format: 'uuid', ...options });

/** An instant as the API writes it: ISO 8601 in UTC, with milliseconds. */
export const Timestamp = (options: { description?: string } = {}) => Type.String({ format: 'date-time', ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** One of `values`, as a plain JSON Schema `enum` (TypeBox's own is a union of constants). */
export const StringEnum = <T extends string>(values: readonly T[], options: { description?: string } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

/** A JSON object of any shape. */
export const AnyObject = (options: { description?: string } = {}) =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, ...options });

/** A page of a newest-first list: the items under `key`, and the cursor of the next page. */
export const PageOf = <K extends string, T extends TSchema>(key: K, item: T, title: string) =>
  Type.Object(
    {
      [key]: Type.Array(item, { description: 'Newest first.' }),
      nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' })),
    } as { [P in K]: TArray<T> } & { nextCursor: TUnion<[TString, TNull]> },
    { title, additionalProperties: false },
  );
