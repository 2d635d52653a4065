import { STATUS_CODES } from 'node:http';
import { FieldError } from '@baton/contracts';

/** Every error Baton answers has this shape; `errors` lists wrong fields on a 400. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: FieldError[];
  requestId?: string;
}

export function errorBody(statusCode: number, message: string, errors?: FieldError[]): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(errors ? { errors } : {}) };
}

export function fieldErrorBody(field: string, message: string): ErrorBody {
  return errorBody(400, `${field} ${message}`, [{ field, messages: [message] }]);
}
