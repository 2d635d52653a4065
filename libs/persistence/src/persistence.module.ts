import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BatonConfig } from '@baton/config';
import { createDataSource } from './data-source';
import { DatabaseHealth } from './database-health';
import { InvoiceRepository } from './repositories/invoice.repository';
import { JobRepository } from './repositories/job.repository';
import { WorkoutRepository } from './repositories/workout.repository';

const REPOSITORIES = [JobRepository, WorkoutRepository, InvoiceRepository, DatabaseHealth];

/**
 * PostgreSQL for the process: one pool, opened lazily so that a process whose
 * database is away still starts (and reports not ready) instead of crashing.
 */
@Global()
@Module({})
export class PersistenceModule implements OnApplicationShutdown {
  private readonly logger = new Logger('Persistence');

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(applicationName: string): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [BatonConfig],
          useFactory: async (config: BatonConfig) => {
            const dataSource = createDataSource({ url: config.DATABASE_URL!, poolSize: config.DATABASE_POOL_SIZE, applicationName });
            // TypeORM's initialize() only builds metadata and the pg pool; pg
            // connects on first query, so this succeeds with the database down.
            return dataSource.initialize();
          },
        },
        ...REPOSITORIES,
      ],
      exports: [DataSource, ...REPOSITORIES],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
      this.logger.log('PostgreSQL pool closed');
    }
  }
}
