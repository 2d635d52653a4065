import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { BatonConfig } from '@baton/config';
import { describeError, Metrics } from '@baton/observability';

// A rate limit must not hold jobs up while Redis is away: fail fast and
// fall back to the local limit rather than queue commands.
const REDIS_TIMEOUT_MS = 500;

/**
 * Takes the next start slot of a queue in Redis, atomically, by Redis's own
 * clock (pods' clocks may differ): slots are spaced `interval` apart, so the
 * jobs of every replica together start evenly at the configured rate, with
 * no burst at a window's edge as a fixed-window counter allows. Returns the
 * microseconds until the slot.
 */
const TAKE_SLOT = `
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now_us)
local next_slot = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', next_slot), 'PX', math.ceil((next_slot - now_us) / 1000) + 1000)
return slot - now_us
`;

interface Limit {
  queue: string;
  /** Microseconds between two starts. */
  spacingUs: number;
  /** The local schedule, used while Redis cannot be: the next free slot by this process's clock, in ms. */
  nextLocalSlot: number;
  /** Unknown until the first slot is taken. */
  shared?: boolean;
}

/**
 * WORKER_RATE_LIMITS: how fast each queue's jobs may start, across every
 * worker replica together. A job waits here before it is taken (before its
 * attempt is spent), so the limit never fails a job or costs it an attempt.
 *
 * Shared through REDIS_URL. Without Redis (unset, or unreachable) each
 * process applies the whole rate on its own, so the total may exceed the
 * limit by the number of replicas; the change is logged once each way and
 * shown by `baton_worker_rate_limit_shared`.
 */
@Injectable()
export class QueueRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly limits = new Map<string, Limit>();
  private readonly redis?: Redis;
  /**
   * Settles once the first connection attempt has: the deliveries a worker
   * gets as it starts wait for it rather than all falling back to the local
   * limit. Later outages fall back at once (commands fail fast).
   */
  private firstConnection: Promise<unknown> = Promise.resolve();
  /**
   * A queue is its broker, vhost and name; so is its limit. Two Baton
   * installations sharing one Redis but not one vhost do not share limits.
   */
  private readonly keyPrefix: string;

  constructor(
    config: BatonConfig,
    private readonly metrics: Metrics,
  ) {
    this.keyPrefix = `baton:worker-rate:${brokerScope(config.RABBITMQ_URL)}:`;
    for (const { queue, limit, intervalMs } of (config.WORKER_RATE_LIMITS ?? []).filter((rate) => config.WORKER_QUEUES.includes(rate.queue))) {
      this.limits.set(queue, { queue, spacingUs: Math.round((intervalMs * 1000) / limit), nextLocalSlot: 0 });
    }
    if (this.limits.size > 0 && config.REDIS_URL) {
      this.redis = new Redis(config.REDIS_URL, {
        connectTimeout: REDIS_TIMEOUT_MS,
        commandTimeout: REDIS_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
      });
      this.redis.on('error', () => undefined); // reported by waitForTurn, once per change
      const redis = this.redis;
      this.firstConnection = new Promise((resolve) => {
        const timer = setTimeout(resolve, REDIS_TIMEOUT_MS * 2);
        const settle = () => {
          clearTimeout(timer);
          redis.off('ready', settle).off('error', settle);
          resolve(undefined);
        };
        redis.once('ready', settle).once('error', settle);
      });
    }
    for (const limit of this.limits.values()) {
      this.metrics.rateLimitShared.set({ queue: limit.queue }, 0);
      if (!this.redis) this.logger.log(`${limit.queue}: at most ${describeRate(limit)} per worker process (no REDIS_URL to share it)`);
    }
  }

  /** The queues limited, with their rates, for the start-up log. */
  describe(): string[] {
    return [...this.limits.values()].map((limit) => `${limit.queue} ${describeRate(limit)}`);
  }

  /**
   * Resolves when the next job of `queue` may start: at once for a queue
   * without a limit. Resolves false, early, if `abort` fires meanwhile (the
   * worker is stopping: the job is handed back, not started).
   */
  async waitForTurn(queue: string, abort: AbortSignal): Promise<boolean> {
    const limit = this.limits.get(queue);
    if (!limit) return true;
    const waitMs = await this.takeSlot(limit);
    this.metrics.rateLimitWait.observe({ queue }, waitMs / 1000);
    return waitMs <= 0 || pause(waitMs, abort);
  }

  private async takeSlot(limit: Limit): Promise<number> {
    if (this.redis) {
      await this.firstConnection;
      try {
        const waitUs = Number(await this.redis.eval(TAKE_SLOT, 1, `${this.keyPrefix}${limit.queue}`, limit.spacingUs));
        this.markShared(limit, true);
        return waitUs / 1000;
      } catch (error) {
        this.markShared(limit, false, error);
      }
    }
    const now = Date.now();
    const slot = Math.max(limit.nextLocalSlot, now);
    limit.nextLocalSlot = slot + limit.spacingUs / 1000;
    return slot - now;
  }

  private markShared(limit: Limit, shared: boolean, error?: unknown): void {
    if (limit.shared === shared) return;
    limit.shared = shared;
    this.metrics.rateLimitShared.set({ queue: limit.queue }, shared ? 1 : 0);
    if (shared) this.logger.log(`${limit.queue}: at most ${describeRate(limit)}, shared by every worker through Redis`);
    else {
      this.logger.warn(
        `${limit.queue}: Redis unreachable (${describeError(error)}); this process now allows ${describeRate(limit)} on its own, so all replicas together may exceed the limit until Redis is back`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}

/** `host:port/vhost` of the broker (no credentials), or `in-process`. */
function brokerScope(rabbitmqUrl: string | undefined): string {
  if (!rabbitmqUrl) return 'in-process';
  const url = new URL(rabbitmqUrl);
  return `${url.host}${decodeURIComponent(url.pathname) || '/'}`;
}

function describeRate(limit: Limit): string {
  const perSecond = 1_000_000 / limit.spacingUs;
  return perSecond >= 1 ? `${+perSecond.toFixed(2)} jobs/s` : `${+(perSecond * 60).toFixed(2)} jobs/min`;
}

/** Waits `ms`; false if `abort` fires first. */
function pause(ms: number, abort: AbortSignal): Promise<boolean> {
  if (abort.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      abort.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    abort.addEventListener('abort', stop, { once: true });
  });
}
