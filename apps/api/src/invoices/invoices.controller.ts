import { Body, Controller, Get, NotFoundException, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateInvoiceDto, JobType } from '@baton/contracts';
import { InvoiceRepository } from '@baton/persistence';
import { CorrelationId } from '../http/correlation-id';
import { IdempotencyKey } from '../http/idempotency-key.decorator';
import { PayloadPipe } from '../http/payload.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { JobSubmissionService } from '../jobs/job-submission.service';
import { replyAccepted } from '../jobs/job.view';
import { invoiceView } from './invoice.view';

@Controller('v1/invoices')
export class InvoicesController {
  constructor(
    private readonly submissions: JobSubmissionService,
    private readonly invoices: InvoiceRepository,
  ) {}

  @Post()
  async create(
    @Body(new PayloadPipe(JobType.Invoice)) invoice: CreateInvoiceDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const submission = await this.submissions.submit(JobType.Invoice, invoice, { correlationId, idempotencyKey });
    return replyAccepted(reply, submission);
  }

  @Get(':invoiceId')
  async get(@Param('invoiceId', new UuidParamPipe('invoiceId')) invoiceId: string) {
    const invoice = await this.invoices.findById(invoiceId);
    if (!invoice) throw new NotFoundException(`No invoice ${invoiceId}`);
    return invoiceView(invoice);
  }

  @Get(':invoiceId/pdf')
  async pdf(@Param('invoiceId', new UuidParamPipe('invoiceId')) invoiceId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const pdf = await this.invoices.findPdf(invoiceId);
    if (!pdf) throw new NotFoundException(`No PDF for invoice ${invoiceId}`);
    void reply.type('application/pdf').header('Content-Disposition', `inline; filename="invoice-${invoiceId}.pdf"`);
    return pdf;
  }
}
