import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiScope, Principal } from '@baton/auth';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { InvoiceReadService } from './invoice-read.service';
import { InvoiceView, InvoiceViewSchema } from './invoice.view';

/** Issued invoices and their PDFs; `POST /v1/invoices` comes from the type's definition. */
@Controller('v1/invoices')
export class InvoicesController {
  constructor(private readonly invoices: InvoiceReadService) {}

  @Get(':invoiceId')
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({
    operationId: 'getInvoice',
    summary: 'An issued invoice: its number, seller, lines and computed totals.',
    responses: { 200: { description: 'The invoice.', schema: InvoiceViewSchema }, 404: "No such invoice in the API key's tenant." },
  })
  async get(@Param('invoiceId', new UuidParamPipe('invoiceId')) invoiceId: string, @Caller() caller: Principal): Promise<InvoiceView> {
    const invoice = await this.invoices.findById(invoiceId, caller.tenant);
    if (!invoice) throw new NotFoundException(`No invoice ${invoiceId}`);
    return invoice;
  }

  @Get(':invoiceId/pdf')
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({
    operationId: 'getInvoicePdf',
    summary: "An invoice's PDF.",
    responses: {
      200: {
        description: 'The PDF, as an attachment named after the invoice number (`invoice-<invoiceId>.pdf` for one stored before numbers).',
        mediaType: 'application/pdf',
        schema: { type: 'string', contentMediaType: 'application/pdf' },
        headers: { 'Content-Disposition': { description: '`attachment; filename="<number>.pdf"`', required: true, schema: { type: 'string' } } },
      },
      404: "No such invoice in the API key's tenant.",
    },
  })
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
