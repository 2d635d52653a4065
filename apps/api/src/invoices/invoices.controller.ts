import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiScope, Principal } from '@baton/auth';
import { InvoiceRepository } from '@baton/jobs';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { invoiceView } from './invoice.view';

/** Issued invoices and their PDFs; `POST /v1/invoices` comes from the type's definition. */
@Controller('v1/invoices')
export class InvoicesController {
  constructor(private readonly invoices: InvoiceRepository) {}

  @Get(':invoiceId')
  @RequireScope(ApiScope.JobsRead)
  async get(@Param('invoiceId', new UuidParamPipe('invoiceId')) invoiceId: string, @Caller() caller: Principal) {
    const invoice = await this.invoices.findById(invoiceId, caller.tenant);
    if (!invoice) throw new NotFoundException(`No invoice ${invoiceId}`);
    return invoiceView(invoice);
  }

  @Get(':invoiceId/pdf')
  @RequireScope(ApiScope.JobsRead)
  async pdf(
    @Param('invoiceId', new UuidParamPipe('invoiceId')) invoiceId: string,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const pdf = await this.invoices.findPdf(invoiceId, caller.tenant);
    if (!pdf) throw new NotFoundException(`No PDF for invoice ${invoiceId}`);
    // A number's characters need no quoting in the header (numberPrefix allows letters, digits and ._-).
    const filename = pdf.number ? `${pdf.number}.pdf` : `invoice-${invoiceId}.pdf`;
    void reply.type('application/pdf').header('Content-Disposition', `attachment; filename="${filename}"`);
    return pdf.content;
  }
}
