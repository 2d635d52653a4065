import { Injectable } from '@nestjs/common';
import { FieldError } from '@baton/contracts';
import { JobAdmission } from '../job-definition';
import { InvoiceRepository } from '../invoices/invoice.repository';
import { SendEmailDto } from './send-email.dto';

/**
 * An email may attach only an invoice of the caller's own tenant. Checked
 * before the job is accepted, so that a wrong id is a `400` at once and
 * nothing is ever sent; another tenant's invoice is answered exactly as an
 * unknown one, so that ids cannot be probed across tenants.
 */
@Injectable()
export class EmailAttachmentAdmission implements JobAdmission<SendEmailDto> {
  constructor(private readonly invoices: InvoiceRepository) {}

  async check(email: SendEmailDto, tenant: string): Promise<FieldError[]> {
    if (email.invoiceId === undefined) return [];
    if (await this.invoices.findById(email.invoiceId, tenant)) return [];
    return [{ field: 'invoiceId', messages: ['must be the id of an invoice of this tenant'] }];
  }
}
