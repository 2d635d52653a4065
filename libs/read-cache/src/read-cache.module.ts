import { Global, Module } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { Metrics } from '@baton/observability';
import { ReadCache } from './read-cache';

/**
 * The process's ReadCache: in Redis when REDIS_URL is set and
 * READ_CACHE_TTL_SEC is not 0, else off. The API reads through it; the API
 * and the workers' retention sweep drop its entries. Its readiness is never
 * the process's: a read without Redis goes to PostgreSQL.
 */
@Global()
@Module({
  providers: [{ provide: ReadCache, inject: [BatonConfig, Metrics], useFactory: (config: BatonConfig, metrics: Metrics) => ReadCache.forConfig(config, metrics) }],
  exports: [ReadCache],
})
export class ReadCacheModule {}
