import { ApiKeyCache } from './api-key-cache';
import { Principal } from './principal';

const principal = (keyId: string): Principal => ({ keyId, tenant: 'acme', scopes: ['jobs:write'] });

describe('ApiKeyCache', () => {
  let clock: number;
  let cache: ApiKeyCache;

  beforeEach(() => {
    clock = 1_000;
    cache = new ApiKeyCache({ maxAgeMs: 60_000, maxEntries: 3, now: () => clock });
    cache.notificationsLive(true);
  });

  it('returns what it was given while notifications are live', () => {
    cache.remember('hash-a', principal('a'), cache.generation);
    expect(cache.get('hash-a')).toEqual(principal('a'));
    expect(cache.get('hash-b')).toBeUndefined();
  });

  it('stores nothing and returns nothing while notifications are not heard', () => {
    cache.remember('hash-a', principal('a'), cache.generation);
    cache.notificationsLive(false);
    expect(cache.get('hash-a')).toBeUndefined();
    cache.remember('hash-b', principal('b'), cache.generation);
    expect(cache.size).toBe(0);
  });

  it('starts empty when notifications come back: changes made meanwhile were not heard', () => {
    cache.remember('hash-a', principal('a'), cache.generation);
    cache.notificationsLive(false);
    cache.notificationsLive(true);
    expect(cache.get('hash-a')).toBeUndefined();
  });

  it('forgets a key as soon as its change is heard', () => {
    cache.remember('hash-a', principal('a'), cache.generation);
    cache.remember('hash-b', principal('b'), cache.generation);
    cache.keyChanged('hash-a');
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.get('hash-b')).toEqual(principal('b'));
  });

  it('does not store a look-up that was under way when a change arrived', () => {
    // The look-up read the key as active; its revocation was heard before the answer came back.
    const generation = cache.generation;
    cache.keyChanged('hash-a');
    cache.remember('hash-a', principal('a'), generation);
    expect(cache.get('hash-a')).toBeUndefined();
    // The next look-up starts after the change and may be stored.
    cache.remember('hash-a', principal('a'), cache.generation);
    expect(cache.get('hash-a')).toEqual(principal('a'));
  });

  it('does not store a look-up that was under way while notifications went down and up', () => {
    const generation = cache.generation;
    cache.notificationsLive(false);
    cache.notificationsLive(true);
    cache.remember('hash-a', principal('a'), generation);
    expect(cache.get('hash-a')).toBeUndefined();
  });

  it('trusts an entry for maxAgeMs at most', () => {
    cache.remember('hash-a', principal('a'), cache.generation);
    clock += 59_999;
    expect(cache.get('hash-a')).toEqual(principal('a'));
    clock += 1;
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entry past maxEntries', () => {
    for (const name of ['a', 'b', 'c', 'd']) cache.remember(`hash-${name}`, principal(name), cache.generation);
    expect(cache.size).toBe(3);
    expect(cache.get('hash-a')).toBeUndefined();
    expect(cache.get('hash-d')).toEqual(principal('d'));
  });

  it('is off with maxAgeMs 0: nothing is stored even while notifications are live', () => {
    const off = new ApiKeyCache({ maxAgeMs: 0 });
    off.notificationsLive(true);
    off.remember('hash-a', principal('a'), off.generation);
    expect(off.enabled).toBe(false);
    expect(off.get('hash-a')).toBeUndefined();
  });
});
