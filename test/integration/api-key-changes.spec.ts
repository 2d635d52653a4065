/**
 * API key changes heard through PostgreSQL LISTEN/NOTIFY, on the real
 * database: the feed proves it hears before it reports itself live, keys
 * are forgotten when they change, and a lost connection or a channel that
 * does not deliver turns caching off.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiKeyCache, ApiKeyService, ApiScope, hashApiKey } from '@baton/auth';
import { BatonConfig } from '@baton/config';
import { ApiKeyChangeFeed, ApiKeyChangeSubscriber, ApiKeyRepository, createDataSource } from '@baton/persistence';
import { BATON_SCHEMA } from '@baton/jobs';
import { testMode } from '../support/mode';
import { createTestDatabase, TestDatabase } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';

const FAST_PROBES = { probeIntervalMs: 200, probeTimeoutMs: 500 };

/** What a subscriber heard, in order. */
class Recorder implements ApiKeyChangeSubscriber {
  readonly events: string[] = [];
  keyChanged(keyHash: string): void {
    this.events.push(`changed ${keyHash}`);
  }
  notificationsLive(live: boolean): void {
    this.events.push(live ? 'live' : 'not live');
  }
  /** Resolves once `event` has been heard `times` times. */
  heard(event: string, times = 1): Promise<true> {
    return waitFor(`"${event}" × ${times}`, () => (this.events.filter((seen) => seen === event).length >= times ? true : undefined), 10_000, 10);
  }
}

describe('API key changes (PostgreSQL LISTEN/NOTIFY)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let service: ApiKeyService;
  const feeds: ApiKeyChangeFeed[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('baton_key_changes');
    ds = await createDataSource({ url: db.url, poolSize: 4, applicationName: 'baton-key-changes-test', schema: BATON_SCHEMA }).initialize();
    service = new ApiKeyService(new ApiKeyRepository(ds));
  });

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.onApplicationShutdown()));
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  /** A started feed on `listenUrl` (the test database unless given), probing through the test's pool. */
  function startFeed(subscriber: ApiKeyChangeSubscriber, listenUrl = db.url): ApiKeyChangeFeed {
    const config = Object.assign(new BatonConfig(), { DATABASE_URL: listenUrl });
    const feed = new ApiKeyChangeFeed(config, ds, { whenConnected: () => Promise.resolve() }, FAST_PROBES);
    feed.subscribe(subscriber);
    feed.onApplicationBootstrap();
    feeds.push(feed);
    return feed;
  }

  const newKey = () => service.create({ tenant: `t-${randomUUID().slice(0, 8)}`, scopes: [ApiScope.JobsWrite] });

  it('reports itself live once its probe comes back, then hears a revocation with the key hash', async () => {
    const recorder = new Recorder();
    const feed = startFeed(recorder);
    await recorder.heard('live');
    expect(feed.isLive).toBe(true);

    const { key, record } = await newKey();
    await service.revoke(record.id);
    await recorder.heard(`changed ${hashApiKey(key)}`);
  });

  it('hears changes to scopes and tenant and deletions, not the last-use stamp', async () => {
    const recorder = new Recorder();
    startFeed(recorder);
    await recorder.heard('live');
    const { key, record } = await newKey();
    const hash = hashApiKey(key);

    await new ApiKeyRepository(ds).recordUse(record.id);
    await ds.query(`UPDATE api_keys SET scopes = ARRAY['admin'] WHERE id = $1`, [record.id]);
    await recorder.heard(`changed ${hash}`);
    await ds.query(`UPDATE api_keys SET tenant = 'elsewhere' WHERE id = $1`, [record.id]);
    await ds.query(`DELETE FROM api_keys WHERE id = $1`, [record.id]);
    await recorder.heard(`changed ${hash}`, 3);
    // Notifications arrive in commit order: had the last-use stamp been announced, it would come first.
    expect(recorder.events.filter((event) => event.startsWith('changed'))).toEqual([`changed ${hash}`, `changed ${hash}`, `changed ${hash}`]);
  });

  it('serves a cached key without a look-up, and refuses it once its revocation is heard', async () => {
    const repository = new ApiKeyRepository(ds);
    const cache = new ApiKeyCache({ maxAgeMs: 60_000 });
    const cached = new ApiKeyService(repository, cache);
    const recorder = new Recorder();
    startFeed(cache);
    startFeed(recorder);
    await waitFor('the cache to be live', () => (feeds[0].isLive ? true : undefined), 10_000, 10);
    const { key, record } = await newKey();

    const lookups = jest.spyOn(repository, 'findActiveByHash');
    const first = await cached.authenticate(key);
    const second = await cached.authenticate(key);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ keyId: record.id, scopes: [ApiScope.JobsWrite] });
    expect(lookups).toHaveBeenCalledTimes(1);

    await service.revoke(record.id);
    // Both feeds listen on the same database: once one has heard it, so has the other's connection.
    await recorder.heard(`changed ${hashApiKey(key)}`);
    await waitFor('the cache to forget the key', () => (cache.get(hashApiKey(key)) === undefined ? true : undefined), 10_000, 10);
    await expect(cached.authenticate(key)).resolves.toBeNull();
    expect(lookups).toHaveBeenCalledTimes(2);
  });

  it('looks every key up with a cache of max age 0: a revocation holds from the very next request', async () => {
    const repository = new ApiKeyRepository(ds);
    const cache = new ApiKeyCache({ maxAgeMs: 0 });
    const uncached = new ApiKeyService(repository, cache);
    cache.notificationsLive(true);
    const { key, record } = await newKey();
    const lookups = jest.spyOn(repository, 'findActiveByHash');
    expect(await uncached.authenticate(key)).toMatchObject({ keyId: record.id });
    expect(await uncached.authenticate(key)).toMatchObject({ keyId: record.id });
    expect(lookups).toHaveBeenCalledTimes(2);
    await service.revoke(record.id);
    await expect(uncached.authenticate(key)).resolves.toBeNull();
  });

  it('is not live while its connection is gone, and listens again once it can', async () => {
    const recorder = new Recorder();
    // PGlite is one backend shared by every connection, with none of its own
    // to terminate: in embedded mode the network drops the listening
    // connection instead (the feed listens through a proxy the test cuts).
    const proxy = testMode() === 'embedded' ? await TcpProxy.startFor(db.url) : undefined;
    try {
      startFeed(recorder, proxy?.via(db.url) ?? db.url);
      await recorder.heard('live');
      if (proxy) {
        await proxy.cut();
        await recorder.heard('not live');
        await proxy.restore();
      } else {
        await ds.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'baton-key-changes-test-key-changes'`,
        );
        await recorder.heard('not live');
      }
      await recorder.heard('live', 2);
      // And it hears again on the new connection.
      const { key, record } = await newKey();
      await service.revoke(record.id);
      await recorder.heard(`changed ${hashApiKey(key)}`);
    } finally {
      await Promise.all(feeds.splice(0).map((feed) => feed.onApplicationShutdown()));
      await proxy?.cut();
    }
  });

  it('never reports itself live when its probes do not come back', async () => {
    // Listening on another database: notifications are per database, so the
    // probes sent through the pool never arrive, as behind a pooler in
    // transaction mode.
    const elsewhere = await createTestDatabase('baton_key_changes_elsewhere');
    try {
      const recorder = new Recorder();
      const cache = new ApiKeyCache({ maxAgeMs: 60_000 });
      const feed = startFeed(recorder, elsewhere.url);
      startFeed(cache, elsewhere.url);
      // Three probe timeouts in a row, each a failed attempt to go live.
      await waitFor('three probe rounds', () => (probeRounds(feed) >= 3 ? true : undefined), 15_000, 20);
      expect(recorder.events).not.toContain('live');
      expect(feed.isLive).toBe(false);
      const { key } = await newKey();
      const principal = await new ApiKeyService(new ApiKeyRepository(ds), cache).authenticate(key);
      expect(principal).not.toBeNull();
      expect(cache.size).toBe(0);
    } finally {
      await Promise.all(feeds.splice(0).map((feed) => feed.onApplicationShutdown()));
      await elsewhere.drop();
    }
  });
});

/** The probes a feed has given up on so far. */
function probeRounds(feed: ApiKeyChangeFeed): number {
  return feed.unansweredProbes;
}
