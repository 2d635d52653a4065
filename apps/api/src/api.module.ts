import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@baton/auth';
import { BatonConfig, ConfigModule } from '@baton/config';
import { MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule } from '@baton/persistence';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { InvoiceProfileController } from './invoice-profile/invoice-profile.controller';
import { InvoicesController } from './invoices/invoices.controller';
import { JobOperationsService } from './jobs/job-operations.service';
import { JobRelay } from './jobs/job-relay';
import { JobSubmissionService } from './jobs/job-submission.service';
import { JobsController } from './jobs/jobs.controller';
import { WorkoutsController } from './workouts/workouts.controller';

/** The HTTP API's routes and services; the process around it brings configuration, PostgreSQL and a broker. */
@Module({
  imports: [AuthModule],
  controllers: [WorkoutsController, InvoicesController, InvoiceProfileController, JobsController],
  providers: [JobSubmissionService, JobOperationsService, JobRelay, { provide: APP_FILTER, useClass: HttpExceptionFilter }],
  exports: [JobRelay],
})
export class ApiModule {
  /** The API process: the API over PostgreSQL and RabbitMQ. */
  static forProcess(config: BatonConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, PersistenceModule.forRoot('baton-api'), MessagingModule.forRoot({ broker: 'rabbitmq' })],
    };
  }
}
