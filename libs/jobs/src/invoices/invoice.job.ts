import { JobType } from '@baton/contracts';
import { defineJob } from '../job-definition';
import { CreateInvoiceDto } from './create-invoice.dto';
import { InvoiceProfileEntity } from './invoice-profile.entity';
import { InvoiceProfileRepository } from './invoice-profile.repository';
import { InvoiceEntity, InvoiceLineEntity, InvoiceLogoEntity, InvoiceNumberCounterEntity, InvoicePdfEntity } from './invoice.entity';
import { InvoiceRepository } from './invoice.repository';

export const invoiceJob = defineJob({
  type: JobType.Invoice,
  payload: CreateInvoiceDto,
  path: 'v1/invoices',
  summary: 'numbers an invoice, stores it and renders its PDF',
  worker: () => import('./invoice-worker.module').then((loaded) => loaded.InvoiceWorkerModule),
  entities: [InvoiceEntity, InvoiceLineEntity, InvoicePdfEntity, InvoiceLogoEntity, InvoiceNumberCounterEntity, InvoiceProfileEntity],
  providers: [InvoiceRepository, InvoiceProfileRepository],
});
