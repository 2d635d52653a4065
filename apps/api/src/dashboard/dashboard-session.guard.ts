import { applyDecorators, CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { annotateLogContext } from '@baton/observability';
import { DashboardSessionService, DashboardSessionView, isSessionCsrfToken } from './dashboard-session.service';
import { sessionCookieOf } from './session-cookie';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session a /dashboard/api request came with; its key's principal is `principal`. */
    dashboardSession?: DashboardSessionView;
  }
}

const ALLOWED_WHEN_READ_ONLY = 'baton:dashboard-allowed-when-read-only';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Lets a /dashboard/api request through with a live session cookie (401
 * otherwise), as the session key's principal, so that the /v1 routes'
 * scope checks (RequireScope) apply unchanged. A state change also needs
 * the session's X-CSRF-Token (403), and is refused (403) when the dashboard
 * is read-only, save signing out.
 */
@Injectable()
export class DashboardSessionGuard implements CanActivate {
  constructor(
    private readonly sessions: DashboardSessionService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = sessionCookieOf(request.headers.cookie);
    const session = token === undefined ? null : await this.sessions.find(token);
    if (!session) throw new UnauthorizedException('Sign in to the dashboard: no session, or it has ended');
    request.principal = session.principal;
    request.dashboardSession = session.view;
    annotateLogContext({ tenant: session.principal.tenant, apiKeyId: session.principal.keyId });
    if (SAFE_METHODS.has(request.method)) return true;
    if (!isSessionCsrfToken(session.view, request.headers['x-csrf-token'])) throw new ForbiddenException('Missing or invalid X-CSRF-Token');
    if (session.view.readOnly && !this.reflector.get<boolean>(ALLOWED_WHEN_READ_ONLY, context.getHandler())) {
      throw new ForbiddenException('The dashboard is read-only (DASHBOARD_READ_ONLY)');
    }
    return true;
  }
}

/** Every /dashboard/api route but sign-in: a session, CSRF on state changes, read-only honoured. */
export function DashboardRoutes(): ClassDecorator {
  return applyDecorators(UseGuards(DashboardSessionGuard));
}

/** A state change a read-only dashboard still allows (signing out). */
export function AllowedWhenReadOnly(): MethodDecorator {
  return SetMetadata(ALLOWED_WHEN_READ_ONLY, true);
}
