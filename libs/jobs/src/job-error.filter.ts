import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter replaces a handler's error with "Internal server
 * error". The JobRunner needs the real error to record why an attempt
 * failed, so it is passed through untouched. `@JobHandler` applies it.
 */
@Catch()
export class JobErrorFilter implements RpcExceptionFilter<unknown> {
  catch(error: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => error);
  }
}
