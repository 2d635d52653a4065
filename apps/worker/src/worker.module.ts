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

@Module({})
export class WorkerModule {
  static register(config: BatonConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule, PersistenceModule.forRoot('baton-worker'), MessagingModule.forConsumer(JobRunner)],
      controllers: [SaveWorkoutHandler, RenderInvoiceHandler],
      providers: [WorkoutService, InvoiceService, InvoicePdfRenderer],
    };
  }
}
