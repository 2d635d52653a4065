import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@baton/auth';
import { BatonConfig, ConfigModule } from '@baton/config';
import { BATON_SCHEMA, JOB_DEFINITIONS, JobTypesModule } from '@baton/jobs';
import { MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule } from '@baton/persistence';
import { ReadCacheModule } from '@baton/read-cache';
import { WebhooksModule } from '@baton/webhooks';
import { DASHBOARD_OPTIONS, DashboardOptions } from './dashboard/dashboard-options';
import { DashboardJobsController } from './dashboard/dashboard-jobs.controller';
import { DashboardOverviewService } from './dashboard/dashboard-overview.service';
import { DashboardQueuesController } from './dashboard/dashboard-queues.controller';
import { DashboardSchedulesController } from './dashboard/dashboard-schedules.controller';
import { DashboardSessionController } from './dashboard/dashboard-session.controller';
import { DashboardSessionService } from './dashboard/dashboard-session.service';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { InvoiceProfileController } from './invoice-profile/invoice-profile.controller';
import { InvoiceReadService } from './invoices/invoice-read.service';
import { InvoicesController } from './invoices/invoices.controller';
import { JobOperationsService } from './jobs/job-operations.service';
import { JobReadService } from './jobs/job-read.service';
import { JobRelay } from './jobs/job-relay';
import { submissionControllerFor } from './jobs/job-submission.controller';
import { JobSubmissionService } from './jobs/job-submission.service';
import { JobsController } from './jobs/jobs.controller';
import { QueueAgeReporter } from './jobs/queue-age-reporter';
import { OpenApiController } from './openapi/openapi.controller';
import { DeadLettersController } from './queues/dead-letters.controller';
import { QueuePauseService } from './queues/queue-pause.service';
import { QueuesController } from './queues/queues.controller';
import { ScheduleService } from './schedules/schedule.service';
import { ScheduleTicker } from './schedules/schedule-ticker';
import { SchedulesController } from './schedules/schedules.controller';
import { WebhookDeliveriesController } from './webhooks/webhook-deliveries.controller';
import { WebhookEndpointService } from './webhooks/webhook-endpoint.service';
import { WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';
import { WorkoutReadService } from './workouts/workout-read.service';
import { WorkoutsController } from './workouts/workouts.controller';

/** The HTTP API's routes and services; the process around it brings configuration, PostgreSQL and a broker. */
@Module({
  imports: [AuthModule, WebhooksModule],
  controllers: [WorkoutsController, InvoicesController, InvoiceProfileController, JobsController, WebhookEndpointsController, WebhookDeliveriesController, SchedulesController, QueuesController, DeadLettersController],
  providers: [JobSubmissionService, JobOperationsService, JobReadService, WorkoutReadService, InvoiceReadService, JobRelay, WebhookEndpointService, ScheduleService, ScheduleTicker, QueueAgeReporter, QueuePauseService, DashboardSessionService, DashboardOverviewService, { provide: APP_FILTER, useClass: HttpExceptionFilter }],
  exports: [JobRelay],
})
export class ApiModule {
  /**
   * The routes, with `POST /<path>` for every job type the API accepts: each
   * defined type not named in DISABLED_JOB_TYPES. A disabled type's route
   * does not exist (`404`). With `GET /openapi.json` unless OPENAPI_ENABLED
   * is false, and the dashboard's routes unless DASHBOARD_ENABLED is false.
   * `dashboard`: how the process serves the dashboard (production, unless said otherwise).
   */
  static register(config: BatonConfig, dashboard: DashboardOptions = { secureOverPlainHttp: true }): DynamicModule {
    const accepted = JOB_DEFINITIONS.filter((definition) => !config.DISABLED_JOB_TYPES.includes(definition.type));
    return {
      module: ApiModule,
      controllers: [
        ...accepted.map(submissionControllerFor),
        ...(config.OPENAPI_ENABLED ? [OpenApiController] : []),
        ...(config.DASHBOARD_ENABLED ? [DashboardSessionController, DashboardQueuesController, DashboardJobsController, DashboardSchedulesController] : []),
      ],
      providers: [{ provide: DASHBOARD_OPTIONS, useValue: dashboard }],
    };
  }

  /** The API process: the API over PostgreSQL and RabbitMQ. */
  static forProcess(config: BatonConfig): DynamicModule {
    return {
      ...ApiModule.register(config),
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        PersistenceModule.forRoot('baton-api', BATON_SCHEMA),
        MessagingModule.forRoot({ broker: 'rabbitmq' }),
        JobTypesModule.forRoot(),
        ReadCacheModule,
      ],
    };
  }
}
