import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKeyService, ApiScope, grantsScope, Principal } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { DashboardSessionRepository } from '@baton/persistence';

/** A signed-in session as the browser sees it: never the key, never the session token (that is in the HttpOnly cookie). */
export interface DashboardSessionView {
  tenant: string;
  keyId: string;
  scopes: string[];
  /** Sees and acts on every tenant. */
  operator: boolean;
  /** DASHBOARD_READ_ONLY: every state change answers 403. */
  readOnly: boolean;
  /** To send as X-CSRF-Token with every state change. */
  csrfToken: string;
  expiresAt: string;
}

/** A session found by its cookie: the key's principal, and what the session itself holds. */
export interface ActiveDashboardSession {
  principal: Principal;
  view: DashboardSessionView;
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

/**
 * Exchanges an API key for a dashboard session, and finds sessions by the
 * token their cookie carries. A key signs in when it holds `admin` (its
 * tenant) or `operator` (every tenant); the session acts with the key's
 * scopes as they stand at each request.
 */
@Injectable()
export class DashboardSessionService {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly sessions: DashboardSessionRepository,
    @Inject(BatonConfig) private readonly config: BatonConfig,
  ) {}

  /** A new session and its token, for the key; 401 for an unknown or revoked key, 403 for one that may not use the dashboard. */
  async signIn(apiKey: string): Promise<{ token: string; session: DashboardSessionView }> {
    const principal = await this.apiKeys.authenticate(apiKey);
    if (!principal) throw new UnauthorizedException('Invalid or revoked API key');
    if (!grantsScope(principal.scopes, ApiScope.Admin)) throw new ForbiddenException('The dashboard needs a key with the admin or operator scope');
    const token = newToken();
    const csrfToken = newToken();
    const expiresAt = await this.sessions.create(hashToken(token), principal.keyId, csrfToken, this.config.DASHBOARD_SESSION_TTL_SEC);
    return { token, session: this.viewOf(principal, csrfToken, expiresAt) };
  }

  /** The live session of a cookie's token; null when unknown, expired, or its key was revoked or lost its admin scope. */
  async find(token: string): Promise<ActiveDashboardSession | null> {
    const found = await this.sessions.find(hashToken(token));
    if (!found || !grantsScope(found.scopes, ApiScope.Admin)) return null;
    const principal: Principal = { keyId: found.keyId, tenant: found.tenant, scopes: found.scopes };
    return { principal, view: this.viewOf(principal, found.csrfToken, found.expiresAt) };
  }

  async signOut(token: string): Promise<void> {
    await this.sessions.delete(hashToken(token));
  }

  private viewOf(principal: Principal, csrfToken: string, expiresAt: Date): DashboardSessionView {
    return {
      tenant: principal.tenant,
      keyId: principal.keyId,
      scopes: [...principal.scopes],
      operator: grantsScope(principal.scopes, ApiScope.Operator),
      readOnly: this.config.DASHBOARD_READ_ONLY,
      csrfToken,
      expiresAt: expiresAt.toISOString(),
    };
  }
}

/** Whether a request's X-CSRF-Token is the session's, compared in constant time. */
export function isSessionCsrfToken(session: DashboardSessionView, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
