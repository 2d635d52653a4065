import { STATUS_CODES } from 'node:http';
import { Static, Type } from '@sinclair/typebox';
import { FieldError } from '@baton/contracts';

export const FieldErrorSchema = Type.Object(
  {
    field: Type.String({ description: 'The wrong field by its dotted path (`sets.3.reps`), a parameter or a header.' }),
    messages: Type.Array(Type.String()),
  },
  { title: 'FieldError', additionalProperties: false },
);

/** Every error Baton answers has this shape; `errors` lists wrong fields on a 400. */
export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: 'The status\'s reason phrase.' }),
    message: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema, { description: 'On a 400: each wrong field.' })),
    requestId: Type.Optional(Type.String({ description: 'The X-Request-Id of the request, under which the logs have it.' })),
  },
  { title: 'Error', additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

export function errorBody(statusCode: number, message: string, errors?: FieldError[]): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(errors ? { errors } : {}) };
}

export function fieldErrorBody(field: string, message: string): ErrorBody {
  return errorBody(400, `${field} ${message}`, [{ field, messages: [message] }]);
}
