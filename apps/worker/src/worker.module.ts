import { DynamicModule, Module } from '@nestjs/common';
import { BatonConfig, ConfigModule } from '@baton/config';
import { MessagingModule } from '@baton/messaging';
import { ObservabilityModule } from '@baton/observability';
import { PersistenceModule } from '@baton/persistence';
import { InvoicePdfRenderer } from './invoices/invoice-pdf.renderer';
import { InvoiceService } from './invoices/invoice.service';
import { RenderInvoiceHandler } from './invoices/render-invoice.handler';
import { JobRunner } from './jobs/job-runner';
import { SaveWorkoutHandler } from './workouts/save-workout.handler';
import { WorkoutService } from './workouts/workout.service';

/** The job handlers and their services; the process around it brings configuration, PostgreSQL and a broker. */
@Module({
  controllers: [SaveWorkoutHandler, RenderInvoiceHandler],
  providers: [WorkoutService, InvoiceService, InvoicePdfRenderer],
})
export class WorkerModule {
  /** The worker process: the handlers consuming RabbitMQ, over PostgreSQL. */
  static forProcess(config: BatonConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        PersistenceModule.forRoot('baton-worker'),
        MessagingModule.forRoot({ broker: 'rabbitmq', processor: JobRunner }),
      ],
    };
  }
}
