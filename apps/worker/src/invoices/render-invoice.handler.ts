import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CreateInvoiceDto, JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { InvoiceService } from './invoice.service';

@Controller()
export class RenderInvoiceHandler {
  constructor(private readonly invoices: InvoiceService) {}

  @EventPattern(JobType.Invoice)
  handle(@Payload() invoice: CreateInvoiceDto, @Ctx() context: JobContext): Promise<void> {
    return this.invoices.issue(context.delivery.jobId!, invoice);
  }
}
