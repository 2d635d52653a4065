export { CACHED_RESOURCES, CacheKey, CachedResource, INVALIDATION_HOLD_MS, jobCacheKey, ReadCache, ReadCacheSettings } from './read-cache';
export { ReadCacheModule } from './read-cache.module';
