import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BatonConfig } from '@baton/config';
import { DatabaseConnector } from './database-connector';
import { DatabaseHealth } from './database-health';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { InvoiceProfileRepository } from './repositories/invoice-profile.repository';
import { InvoiceRepository } from './repositories/invoice.repository';
import { JobRepository } from './repositories/job.repository';
import { WorkoutRepository } from './repositories/workout.repository';

const REPOSITORIES = [JobRepository, WorkoutRepository, InvoiceRepository, InvoiceProfileRepository, ApiKeyRepository, DatabaseHealth];

/**
 * PostgreSQL for the process: one pool, connected in the background so that
 * a process whose database is away still starts, reports not ready, and
 * answers 503 until the database is back.
 */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(applicationName: string): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: DatabaseConnector, inject: [BatonConfig], useFactory: (config: BatonConfig) => new DatabaseConnector(config, applicationName) },
        { provide: DataSource, inject: [DatabaseConnector], useFactory: (connector: DatabaseConnector) => connector.dataSource },
        ...REPOSITORIES,
      ],
      exports: [DataSource, DatabaseConnector, ...REPOSITORIES],
    };
  }
}
