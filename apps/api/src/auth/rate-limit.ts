import rateLimit from '@fastify/rate-limit';
import { HttpException, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import Redis from 'ioredis';
import { bearerToken, hashApiKey } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { describeError } from '@baton/observability';
import { errorBody } from '../http/error-body';
import { isApiRoute } from './api-key-authentication';

// A rate limit must not slow every request down while Redis is away: fail
// fast and let the request through (skipOnError) rather than queue commands.
const REDIS_TIMEOUT_MS = 500;

/**
 * The budget per API key (per client address for requests without one):
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS, counted in Redis when
 * REDIS_URL is set, so that all replicas share it, else in this process.
 * It runs before authentication, so a client hammering with a bad key is
 * cut off without a database look-up per request.
 */
export async function limitRequestRate(app: NestFastifyApplication, config: BatonConfig): Promise<void> {
  const logger = new Logger('RateLimit');
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL, logger) : undefined;
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    redis,
    nameSpace: 'baton:rate-limit:',
    skipOnError: true,
    enableDraftSpec: true,
    // The /v1 routes, and the dashboard's sign-in, where a key is tried.
    allowList: (request: FastifyRequest) => !isApiRoute(request.url) && !(request.method === 'POST' && request.url === '/dashboard/api/session'),
    keyGenerator: (request: FastifyRequest) => {
      const token = bearerToken(request.headers.authorization);
      // A hash, so that no key is held in memory or in Redis.
      return token === undefined ? `ip:${request.ip}` : `key:${hashApiKey(token).slice(0, 32)}`;
    },
    // Thrown by the plugin; the API's exception filter turns it into the answer, as any other error.
    errorResponseBuilder: (_request, context) =>
      new HttpException(
        errorBody(429, `Rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`),
        429,
      ) as unknown as { statusCode: number },
  });
  if (redis) app.getHttpAdapter().getInstance().addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
}

function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { connectTimeout: REDIS_TIMEOUT_MS, commandTimeout: REDIS_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let down = false;
  redis.on('ready', () => {
    if (down) logger.log('Redis is back: the rate limit is shared again');
    down = false;
  });
  redis.on('error', (error) => {
    if (!down) logger.warn(`Redis unreachable (${describeError(error)}): requests pass without a rate limit until it is back`);
    down = true;
  });
  return redis;
}
