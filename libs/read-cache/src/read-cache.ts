import { performance } from 'node:perf_hooks';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { BatonConfig } from '@baton/config';
import { describeError, Metrics } from '@baton/observability';

/** What the cache keeps, each under keys of its own. */
export const CACHED_RESOURCES = ['job', 'workout', 'invoice', 'invoice-pdf'] as const;
export type CachedResource = (typeof CACHED_RESOURCES)[number];

/** One entry: a tenant's resource. The tenant is part of the key, so a tenant never reads another's entry. */
export interface CacheKey {
  resource: CachedResource;
  tenant: string;
  id: string;
}

/** The key of a tenant's job: read by the API, dropped by whatever retries, cancels or deletes the job. */
export const jobCacheKey = (tenant: string, id: string): CacheKey => ({ resource: 'job', tenant, id });

export interface ReadCacheSettings {
  /** REDIS_URL. */
  url: string;
  /** READ_CACHE_PREFIX: the installation's part of every key. */
  prefix: string;
  /** READ_CACHE_TTL_SEC: how long an entry lives at most. */
  ttlSec: number;
  /** READ_CACHE_TIMEOUT_MS: the longest a read waits on Redis. */
  timeoutMs: number;
}

/**
 * How long an invalidation holds its key: meanwhile no read fills it, so a
 * read that began before the change (its row read before the commit) cannot
 * put the old state back after the change dropped it. A read whose database
 * part took this long does not fill at all (see `read`). Also the lag a read
 * replica may have behind the primary without a read from it caching a
 * state the primary has already left.
 */
export const INVALIDATION_HOLD_MS = 10_000;

/**
 * The entries' layout version, in every key: a release that changes what
 * an entry holds reads none of the entries an older release wrote during a
 * rolling update.
 */
const LAYOUT_VERSION = 'v1';

/** At most one warning per this long while Redis fails: the metric counts every failure. */
const WARNING_INTERVAL_MS = 60_000;

/** The value of a held key: never a JSON document, so never read as an entry. */
const HELD = '';

/**
 * A cache in Redis for reads that no longer change: the API asks it before
 * PostgreSQL and fills it after. It never fails a read: Redis away, slow
 * (READ_CACHE_TIMEOUT_MS) or answering garbage, the read goes to the
 * database, counted as an `error` and warned of at most once a minute.
 * Commands are not queued while Redis is disconnected (they fail at once),
 * so an outage adds no latency and no memory. Without REDIS_URL, or with
 * READ_CACHE_TTL_SEC=0, it is off: every read goes to the database.
 */
export class ReadCache implements OnApplicationShutdown {
  private readonly logger = new Logger('ReadCache');
  private lastWarningAt = -Infinity;
  private down = false;

  private constructor(
    private readonly redis: Redis | undefined,
    private readonly settings: Omit<ReadCacheSettings, 'url'> | undefined,
    private readonly metrics: Metrics | undefined,
  ) {}

  /** A cache in Redis at `settings.url`; `metrics`, where the process exports them. */
  static connect(settings: ReadCacheSettings, metrics?: Metrics): ReadCache {
    const { url, ...rest } = settings;
    const redis = new Redis(url, {
      connectTimeout: 1_000,
      commandTimeout: settings.timeoutMs,
      // Fail at once while disconnected, and never retry a command: the database answers instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const cache = new ReadCache(redis, rest, metrics);
    redis.on('error', (error) => {
      cache.down = true;
      cache.failed(error);
    });
    redis.on('ready', () => {
      if (cache.down) cache.logger.log('Redis is back: finished reads are cached again');
      cache.down = false;
    });
    if (metrics) {
      // Every series from the start, at zero, as Baton's other counters.
      for (const resource of CACHED_RESOURCES) for (const outcome of ['hit', 'miss', 'error']) metrics.readCacheRequests.inc({ resource, outcome }, 0);
      for (const outcome of ['done', 'error']) metrics.readCacheInvalidations.inc({ outcome }, 0);
    }
    return cache;
  }

  /** In Redis when REDIS_URL is set and READ_CACHE_TTL_SEC is not 0, else off. */
  static forConfig(config: BatonConfig, metrics?: Metrics): ReadCache {
    if (!config.REDIS_URL || config.READ_CACHE_TTL_SEC === 0) return ReadCache.disabled();
    return ReadCache.connect(
      { url: config.REDIS_URL, prefix: config.READ_CACHE_PREFIX, ttlSec: config.READ_CACHE_TTL_SEC, timeoutMs: config.READ_CACHE_TIMEOUT_MS },
      metrics,
    );
  }

  /** No cache: every read goes to the database, invalidations do nothing. */
  static disabled(): ReadCache {
    return new ReadCache(undefined, undefined, undefined);
  }

  get enabled(): boolean {
    return this.redis !== undefined;
  }

  /**
   * Settles once Redis is connected, or after `timeoutMs`: for a short-lived
   * process (the CLI) whose first command would otherwise find no connection.
   */
  async connected(timeoutMs: number): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      redis.once('ready', done);
    });
  }

  /**
   * The entry under `key`, else `load()`'s value, which is stored when it
   * is not null and `keep` says it can no longer change. `load` must give
   * JSON data (no Date, no Buffer): the entry is what a hit returns.
   */
  async read<T>(key: CacheKey, load: () => Promise<T | null>, keep: (value: T) => boolean = () => true): Promise<T | null> {
    if (!this.redis || !this.settings) return load();
    const entry = await this.lookUp<T>(key);
    if (entry !== undefined) return entry;
    const started = performance.now();
    const value = await load();
    // A read this slow may have seen a row older than an invalidation whose hold is already over.
    if (value !== null && keep(value) && performance.now() - started < INVALIDATION_HOLD_MS) {
      // Not awaited: the answer does not wait for Redis. NX: a key held by an invalidation stays held.
      this.redis.set(this.keyOf(key), JSON.stringify(value), 'EX', this.settings.ttlSec, 'NX').catch((error: unknown) => this.failed(error));
    }
    return value;
  }

  /**
   * Drops the entries of resources that changed or were deleted, after the
   * change committed, and holds their keys for INVALIDATION_HOLD_MS (see
   * there). A failure is counted and warned of; the entries then live
   * until their TTL.
   */
  async invalidate(keys: readonly CacheKey[]): Promise<void> {
    if (!this.redis || keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(this.keyOf(key), HELD, 'PX', INVALIDATION_HOLD_MS);
    try {
      const results = (await pipeline.exec()) ?? [];
      const failure = results.find(([error]) => error)?.[0];
      if (failure) throw failure;
      this.metrics?.readCacheInvalidations.inc({ outcome: 'done' }, keys.length);
    } catch (error) {
      this.metrics?.readCacheInvalidations.inc({ outcome: 'error' }, keys.length);
      this.failed(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const redis = this.redis;
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }

  private async lookUp<T>(key: CacheKey): Promise<T | undefined> {
    try {
      const text = await this.redis!.get(this.keyOf(key));
      if (!text) {
        this.count(key, 'miss');
        return undefined;
      }
      const entry = JSON.parse(text) as T;
      this.count(key, 'hit');
      return entry;
    } catch (error) {
      this.count(key, 'error');
      this.failed(error);
      return undefined;
    }
  }

  private keyOf({ resource, tenant, id }: CacheKey): string {
    return `${this.settings!.prefix}:read:${LAYOUT_VERSION}:${resource}:${tenant}:${id}`;
  }

  private count({ resource }: CacheKey, outcome: 'hit' | 'miss' | 'error'): void {
    this.metrics?.readCacheRequests.inc({ resource, outcome });
  }

  private failed(error: unknown): void {
    const now = performance.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.lastWarningAt = now;
    this.logger.warn(`Redis failed (${describeError(error)}): reads go to PostgreSQL until it answers again`);
  }
}
