import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BatonConfig } from '@baton/config';
import { Metrics } from '@baton/observability';
import { ApiKeyChangeFeed, DatabaseConnector } from '@baton/persistence';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyService } from './api-key.service';

/**
 * API keys for a process that serves requests: look-ups cached while
 * PostgreSQL's change notifications are heard (API_KEY_CACHE_MS; 0 turns
 * the cache, and the listening connection, off).
 */
@Module({
  providers: [
    {
      provide: ApiKeyChangeFeed,
      inject: [BatonConfig, DataSource, DatabaseConnector],
      useFactory: (config: BatonConfig, dataSource: DataSource, connector: DatabaseConnector) => new ApiKeyChangeFeed(config, dataSource, connector),
    },
    {
      provide: ApiKeyCache,
      inject: [BatonConfig, ApiKeyChangeFeed, Metrics],
      useFactory: (config: BatonConfig, feed: ApiKeyChangeFeed, metrics: Metrics) => {
        const cache = new ApiKeyCache({ maxAgeMs: config.API_KEY_CACHE_MS });
        if (cache.enabled) {
          feed.subscribe(cache);
          feed.subscribe({
            keyChanged: () => metrics.apiKeyChangesHeard.inc(),
            notificationsLive: (live) => metrics.apiKeyNotificationsLive.set(live ? 1 : 0),
          });
        }
        return cache;
      },
    },
    ApiKeyService,
  ],
  exports: [ApiKeyService, ApiKeyChangeFeed],
})
export class AuthModule {}
