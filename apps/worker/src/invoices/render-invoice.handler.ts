import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CreateInvoiceDto, JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { JobErrorFilter } from '../jobs/job-error.filter';
import { InvoiceService } from './invoice.service';

@Controller()
@UseFilters(JobErrorFilter)
export class RenderInvoiceHandler {
  constructor(private readonly invoices: InvoiceService) {}

  @EventPattern(JobType.Invoice)
  handle(@Payload() invoice: CreateInvoiceDto, @Ctx() context: JobContext): Promise<boolean> {
    return this.invoices.issue(context.delivery.jobId!, invoice);
  }
}
