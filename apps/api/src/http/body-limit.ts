import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** Largest request body a route takes unless it says otherwise; a 500-set workout or a 200-line invoice is far below it. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A route's own body limit, in place of BODY_LIMIT_BYTES (a batch, which holds many bodies). */
export const BodyLimit = (bytes: number) => RouteConfig({ bodyLimit: bytes });

/**
 * Gives each route declared with BodyLimit its limit. Nest hands a route's
 * config to Fastify but has no word for its bodyLimit, which Fastify then
 * applies while reading the body; the preParsing check in http-setup reads
 * it back from the route.
 */
export function applyRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const limit: unknown = (route.config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
}

/** A body limit as the 413 states it. */
export function describeBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
