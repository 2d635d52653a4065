import { Body, Controller, Get, NotFoundException, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateInvoiceDto, JobType } from '@baton/contracts';
import { ApiScope, Principal } from '@baton/auth';
import { InvoiceRepository } from '@baton/persistence';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
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
  @RequireScope(ApiScope.JobsWrite)
  async create(
    @Body(new PayloadPipe(JobType.Invoice)) invoice: CreateInvoiceDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @CorrelationId() correlationId: string,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const submission = await this.submissions.submit(JobType.Invoice, invoice, { caller, correlationId, idempotencyKey });
    return replyAccepted(reply, submission);
  }

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
