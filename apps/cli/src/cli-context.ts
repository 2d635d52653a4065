import { ApiKeyService } from '@baton/auth';
import { BatonConfig, ConfigVariable, loadConfig } from '@baton/config';
import { BATON_SCHEMA } from '@baton/jobs';
import { BrokerAdmin, Topology } from '@baton/messaging';
import {
  ApiKeyRepository,
  createDataSource,
  JobIntakeRepository,
  JobOperationsRepository,
  JobRetentionRepository,
  QueuePauseRepository,
  ScheduleRepository,
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
} from '@baton/persistence';
import { ReadCache } from '@baton/read-cache';
import type { DataSource } from 'typeorm';

/** A command does not wait longer for Redis: without it the cached reads live until their TTL, as the warning says. */
const CACHE_CONNECT_TIMEOUT_MS = 2_000;

/** Where a command writes: stdout for results a script may capture, stderr for what people read. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** The services a command may use, opened on first use and closed when the command ends. */
export class CliContext {
  private dataSource?: DataSource;
  private brokerAdmin?: BrokerAdmin;
  private cache?: ReadCache;

  constructor(
    readonly output: CliOutput,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The validated environment; a missing required variable is an error naming it. */
  config(required: ConfigVariable[] = []): BatonConfig {
    return loadConfig(this.env, required);
  }

  async apiKeys(): Promise<ApiKeyService> {
    return new ApiKeyService(new ApiKeyRepository(await this.database()));
  }

  /** Jobs as operators see and act on them: list, retry. */
  async jobOperations(): Promise<JobOperationsRepository> {
    return new JobOperationsRepository(await this.database());
  }

  /** For deleting finished jobs by hand, as the workers' retention sweep does. */
  async jobRetention(): Promise<JobRetentionRepository> {
    return new JobRetentionRepository(await this.database());
  }

  /** For marking the jobs a command published itself, so that the API's relay does not publish them again. */
  async jobIntake(): Promise<JobIntakeRepository> {
    return new JobIntakeRepository(await this.database());
  }

  /**
   * The API's read cache (REDIS_URL), for the commands that retry or delete
   * jobs to drop their cached reads; off without REDIS_URL, when the entries
   * live until READ_CACHE_TTL_SEC.
   */
  async readCache(): Promise<ReadCache> {
    if (!this.cache) {
      this.cache = ReadCache.forConfig(this.config());
      await this.cache.connected(CACHE_CONNECT_TIMEOUT_MS);
    }
    return this.cache;
  }

  async webhookEndpoints(): Promise<WebhookEndpointRepository> {
    return new WebhookEndpointRepository(await this.database());
  }

  async webhookDeliveries(): Promise<WebhookDeliveryRepository> {
    return new WebhookDeliveryRepository(await this.database());
  }

  /** Paused queues: the workers read them from PostgreSQL, so pausing needs no broker. */
  async queuePauses(): Promise<QueuePauseRepository> {
    return new QueuePauseRepository(await this.database());
  }

  async schedules(): Promise<ScheduleRepository> {
    return new ScheduleRepository(await this.database());
  }

  /** RabbitMQ (RABBITMQ_URL), connected once: a command fails at once when it is unreachable. */
  /** Whether DATABASE_URL is set: a command may add what PostgreSQL knows to what it reads elsewhere. */
  hasDatabase(): boolean {
    return Boolean(this.env.DATABASE_URL);
  }

  async broker(): Promise<BrokerAdmin> {
    if (!this.brokerAdmin) {
      const config = this.config(['RABBITMQ_URL']);
      this.brokerAdmin = await BrokerAdmin.connect(config.RABBITMQ_URL!, new Topology(config));
    }
    return this.brokerAdmin;
  }

  private async database(): Promise<DataSource> {
    if (!this.dataSource) {
      const config = this.config(['DATABASE_URL']);
      this.dataSource = await createDataSource({
        url: config.DATABASE_URL!,
        poolSize: 1,
        applicationName: 'baton-cli',
        schema: BATON_SCHEMA,
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
      }).initialize();
    }
    return this.dataSource;
  }

  async close(): Promise<void> {
    await this.cache?.onApplicationShutdown();
    await this.brokerAdmin?.close();
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}
