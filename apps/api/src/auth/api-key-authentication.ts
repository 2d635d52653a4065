import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiKeyService, bearerToken, Principal } from '@baton/auth';
import { annotateLogContext } from '@baton/observability';
import { isDatabaseUnavailable } from '@baton/persistence';
import { errorBody } from '../http/error-body';
import { DATABASE_RETRY_AFTER_SECONDS } from '../http/http-exception.filter';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request authenticated with; set on every /v1 request that gets past authentication. */
    principal?: Principal;
  }
}

/** The routes that need an API key; health and metrics stay open for probes and scrapers. */
export function isApiRoute(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}

const REALM = 'Bearer realm="baton"';

/**
 * Authenticates every request to a /v1 route by its bearer key before its
 * body is even read: no key, or a key that is unknown or revoked, is a 401.
 * Keys found active are cached until PostgreSQL announces a change to them
 * (ApiKeyService, AuthModule). A route-level hook, added after those registered before it
 * (the rate limit's), so that it runs after them.
 */
export function authenticateApiRequests(fastify: FastifyInstance, apiKeys: ApiKeyService): void {
  const logger = new Logger('Authentication');
  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      return deny(reply, request, REALM, 'Missing API key: send Authorization: Bearer <key>');
    }
    let principal: Principal | null;
    try {
      principal = await apiKeys.authenticate(token);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      logger.warn(`${request.method} ${request.url}: PostgreSQL unavailable for authentication (request ${request.id})`);
      return reply
        .code(503)
        .header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
        .send({ ...errorBody(503, 'Service temporarily unavailable; retry later'), requestId: request.id });
    }
    if (!principal) return deny(reply, request, `${REALM}, error="invalid_token"`, 'Invalid or revoked API key');
    request.principal = principal;
    annotateLogContext({ tenant: principal.tenant, apiKeyId: principal.keyId });
  };
  fastify.addHook('onRoute', (route) => {
    if (!isApiRoute(route.url)) return;
    const earlier = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...earlier, authenticate as onRequestHookHandler];
  });
}

function deny(reply: FastifyReply, request: FastifyRequest, challenge: string, message: string): FastifyReply {
  return reply
    .code(401)
    .header('WWW-Authenticate', challenge)
    .send({ ...errorBody(401, message), requestId: request.id });
}
