/**
 * The read cache against a real Redis: read-through, what is never stored,
 * keys per tenant and per installation, invalidation and its hold against
 * a read that began before the change, and Redis frozen or gone: every
 * read still answers, from the loader, within the timeout. The API's routes
 * over it are in test/e2e/read-cache.e2e-spec.ts.
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { Metrics } from '@baton/observability';
import { CacheKey, INVALIDATION_HOLD_MS, ReadCache } from '@baton/read-cache';
import { describeWithRedis, OwnRedis, REDIS_URL, startOwnRedis, uniqueName } from '../support';

const TTL_SEC = 60;
const TIMEOUT_MS = 50;

async function requests(metrics: Metrics, resource: string, outcome: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === 'baton_read_cache_requests_total');
  const values = (metric?.values ?? []) as Array<{ labels: Record<string, string>; value: number }>;
  return values.find((value) => value.labels.resource === resource && value.labels.outcome === outcome)?.value ?? 0;
}

async function invalidations(metrics: Metrics, outcome: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === 'baton_read_cache_invalidations_total');
  const values = (metric?.values ?? []) as Array<{ labels: Record<string, string>; value: number }>;
  return values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

/** A loader that counts its calls and answers `value`. */
function loader<T>(value: T | null) {
  const calls = { count: 0 };
  const load = async (): Promise<T | null> => {
    calls.count++;
    return value;
  };
  return { calls, load };
}

describe(ReadCache.name, () => {
  it('is off without Redis: every read loads, an invalidation does nothing', async () => {
    const cache = ReadCache.disabled();
    const { calls, load } = loader({ status: 'completed' });
    await expect(cache.read({ resource: 'job', tenant: 'acme', id: '1' }, load)).resolves.toEqual({ status: 'completed' });
    await expect(cache.read({ resource: 'job', tenant: 'acme', id: '1' }, load)).resolves.toEqual({ status: 'completed' });
    await expect(cache.invalidate([{ resource: 'job', tenant: 'acme', id: '1' }])).resolves.toBeUndefined();
    expect(calls.count).toBe(2);
    expect(cache.enabled).toBe(false);
  });

  describeWithRedis(
    'the cache lives in Redis',
    'in Redis',
    () => {
      const prefix = uniqueName('baton_test_read_cache');
      let redis: Redis;
      let metrics: Metrics;
      let cache: ReadCache;
      const caches: ReadCache[] = [];

      function open(settings: Partial<{ url: string; prefix: string; ttlSec: number; timeoutMs: number }> = {}, withMetrics = new Metrics()): ReadCache {
        const opened = ReadCache.connect({ url: REDIS_URL, prefix, ttlSec: TTL_SEC, timeoutMs: TIMEOUT_MS, ...settings }, withMetrics);
        caches.push(opened);
        return opened;
      }

      const key = (id: string, tenant = 'acme'): CacheKey => ({ resource: 'job', tenant, id });

      beforeAll(async () => {
        redis = new Redis(REDIS_URL);
        metrics = new Metrics();
        cache = open({}, metrics);
        await cache.connected(5_000);
      });

      afterAll(async () => {
        // The suite's keys only: the shared Redis serves other suites and other engineers.
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await Promise.all(caches.map((opened) => opened.onApplicationShutdown()));
        await redis.quit();
      });

      it('answers the second read from Redis, under a key of the installation, resource, tenant and id, with the TTL', async () => {
        const { calls, load } = loader({ status: 'completed', result: { workoutId: 'w' } });
        const [hitsBefore, missesBefore] = [await requests(metrics, 'job', 'hit'), await requests(metrics, 'job', 'miss')];
        await expect(cache.read(key('read-twice'), load)).resolves.toEqual({ status: 'completed', result: { workoutId: 'w' } });
        await expect(cache.read(key('read-twice'), load)).resolves.toEqual({ status: 'completed', result: { workoutId: 'w' } });
        expect(calls.count).toBe(1);
        expect(await requests(metrics, 'job', 'miss')).toBe(missesBefore + 1);
        expect(await requests(metrics, 'job', 'hit')).toBe(hitsBefore + 1);

        const stored = `${prefix}:read:v1:job:acme:read-twice`;
        await expect(redis.get(stored)).resolves.toBe(JSON.stringify({ status: 'completed', result: { workoutId: 'w' } }));
        const ttl = await redis.ttl(stored);
        expect(ttl).toBeGreaterThan(TTL_SEC - 5);
        expect(ttl).toBeLessThanOrEqual(TTL_SEC);
      });

      it('never stores what `keep` refuses, nor a missing resource', async () => {
        const queued = loader({ status: 'queued' });
        for (let i = 0; i < 3; i++) await cache.read(key('queued'), queued.load, (job) => job.status === 'completed');
        expect(queued.calls.count).toBe(3);
        const missing = loader(null);
        for (let i = 0; i < 3; i++) await expect(cache.read(key('missing'), missing.load)).resolves.toBeNull();
        expect(missing.calls.count).toBe(3);
        await expect(redis.exists(`${prefix}:read:v1:job:acme:queued`, `${prefix}:read:v1:job:acme:missing`)).resolves.toBe(0);
      });

      it("keeps each tenant's entry, and each installation's, apart", async () => {
        const acme = loader({ owner: 'acme' });
        const globex = loader({ owner: 'globex' });
        await cache.read(key('shared-id', 'acme'), acme.load);
        await expect(cache.read(key('shared-id', 'globex'), globex.load)).resolves.toEqual({ owner: 'globex' });
        await expect(cache.read(key('shared-id', 'acme'), acme.load)).resolves.toEqual({ owner: 'acme' });
        expect([acme.calls.count, globex.calls.count]).toEqual([1, 1]);

        const other = open({ prefix: `${prefix}-other` });
        await other.connected(5_000);
        const elsewhere = loader({ owner: 'another installation' });
        await expect(other.read(key('shared-id', 'acme'), elsewhere.load)).resolves.toEqual({ owner: 'another installation' });
        expect(elsewhere.calls.count).toBe(1);
      });

      it('drops an invalidated entry and holds its key: reads load meanwhile and store nothing', async () => {
        const dead = loader({ status: 'dead' });
        await cache.read(key('retried'), dead.load);
        const doneBefore = await invalidations(metrics, 'done');
        await cache.invalidate([key('retried'), key('never-cached')]);
        expect(await invalidations(metrics, 'done')).toBe(doneBefore + 2);

        const queued = loader({ status: 'queued-again' });
        await expect(cache.read(key('retried'), queued.load)).resolves.toEqual({ status: 'queued-again' });
        await expect(cache.read(key('retried'), queued.load)).resolves.toEqual({ status: 'queued-again' });
        expect(queued.calls.count).toBe(2);
        const held = await redis.pttl(`${prefix}:read:v1:job:acme:retried`);
        expect(held).toBeGreaterThan(0);
        expect(held).toBeLessThanOrEqual(INVALIDATION_HOLD_MS);
      });

      it('does not let a read that began before a change store what it saw after the change dropped it', async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        // The row read before the retry commits, answered after the retry dropped the entry.
        const stale = cache.read(key('raced'), async () => {
          await gate;
          return { status: 'dead' };
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await cache.invalidate([key('raced')]);
        release();
        await expect(stale).resolves.toEqual({ status: 'dead' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await expect(redis.get(`${prefix}:read:v1:job:acme:raced`)).resolves.toBe('');
      });

      describe('with Redis frozen, then gone', () => {
        let own: OwnRedis;
        let ownMetrics: Metrics;
        let ownCache: ReadCache;

        beforeAll(async () => {
          own = await startOwnRedis();
          ownMetrics = new Metrics();
          ownCache = open({ url: own.url }, ownMetrics);
          await ownCache.connected(5_000);
        });

        afterAll(async () => {
          own.thaw();
          await own.kill();
        });

        it('answers from the loader within the timeout while Redis answers nothing, counting errors', async () => {
          const { calls, load } = loader({ status: 'completed' });
          await ownCache.read(key('frozen'), load);
          own.freeze();
          try {
            const errorsBefore = await requests(ownMetrics, 'job', 'error');
            const started = performance.now();
            await expect(ownCache.read(key('frozen'), load)).resolves.toEqual({ status: 'completed' });
            expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 200);
            expect(calls.count).toBe(2);
            expect(await requests(ownMetrics, 'job', 'error')).toBe(errorsBefore + 1);
            await expect(ownCache.invalidate([key('frozen')])).resolves.toBeUndefined();
            expect(await invalidations(ownMetrics, 'error')).toBe(1);
          } finally {
            own.thaw();
          }
        });

        it('answers from the loader at once with Redis gone, without queueing a command', async () => {
          await own.kill();
          const { calls, load } = loader({ status: 'completed' });
          const started = performance.now();
          for (let i = 0; i < 20; i++) await expect(ownCache.read(key('gone'), load)).resolves.toEqual({ status: 'completed' });
          expect(performance.now() - started).toBeLessThan(1_000);
          expect(calls.count).toBe(20);
          expect(await requests(ownMetrics, 'job', 'error')).toBeGreaterThanOrEqual(20);
        });
      });
    },
    false,
  );
});
