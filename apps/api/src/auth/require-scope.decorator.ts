import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiScope, grantsScope, Principal } from '@baton/auth';

export const REQUIRED_SCOPE = 'baton:required-scope';

/** Lets the route run only for a key that holds `scope` (or `admin`); others get 403. */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.get<ApiScope | undefined>(REQUIRED_SCOPE, context.getHandler());
    const http = context.switchToHttp();
    const principal = http.getRequest<FastifyRequest>().principal;
    // Authentication runs first for every /v1 route; a route outside /v1 with a scope is a wiring mistake.
    if (!principal) throw new UnauthorizedException('Missing API key: send Authorization: Bearer <key>');
    if (scope === undefined) throw new ForbiddenException('This route declares no scope');
    if (grantsScope(principal.scopes, scope)) return true;
    void http.getResponse<FastifyReply>().header('WWW-Authenticate', `Bearer realm="baton", error="insufficient_scope", scope="${scope}"`);
    throw new ForbiddenException(`This API key lacks the ${scope} scope`);
  }
}

/** Every /v1 route says which scope it needs. */
export function RequireScope(scope: ApiScope): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), UseGuards(ScopeGuard));
}

/** The principal of the request's API key. */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new UnauthorizedException('Missing API key: send Authorization: Bearer <key>');
  return principal;
});
