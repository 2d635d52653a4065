import { JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { JobHandler, JobHandlerOf } from '../job-handler.decorator';
import { CreateInvoiceDto } from './create-invoice.dto';
import { InvoiceService } from './invoice.service';

@JobHandler(JobType.Invoice)
export class RenderInvoiceHandler implements JobHandlerOf<CreateInvoiceDto> {
  constructor(private readonly invoices: InvoiceService) {}

  handle(invoice: CreateInvoiceDto, context: JobContext): Promise<boolean> {
    return this.invoices.issue(context.delivery.jobId!, invoice);
  }
}
