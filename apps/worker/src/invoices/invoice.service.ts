import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { computeInvoiceTotals, CreateInvoiceDto, invoicePdfLocation } from '@baton/contracts';
import { InvoiceRepository } from '@baton/persistence';
import { InvoicePdfRenderer } from './invoice-pdf.renderer';

@Injectable()
export class InvoiceService {
  private readonly logger = new Logger('InvoiceService');

  constructor(
    private readonly invoices: InvoiceRepository,
    private readonly renderer: InvoicePdfRenderer,
  ) {}

  /**
   * Computes the totals, renders the PDF and stores both with the job's
   * completion. The PDF is rendered before the transaction opens, so that no
   * row stays locked while the CPU works. False when the job was already
   * done (a duplicate delivery).
   */
  async issue(jobId: string, order: CreateInvoiceDto): Promise<boolean> {
    const invoiceId = randomUUID();
    const taxRatePercent = order.taxRatePercent ?? 0;
    const totals = computeInvoiceTotals(order.lines, taxRatePercent);
    const lines = order.lines.map((line, index) => ({ ...line, totalCents: totals.lineTotalsCents[index] }));
    // issuedAt defaults to the day the invoice is rendered, in UTC.
    const issuedAt = (order.issuedAt ?? new Date().toISOString()).slice(0, 10);
    const document = { invoiceId, orderId: order.orderId, issuedAt, currency: order.currency, customer: order.customer, lines, taxRatePercent, ...totals };
    const pdf = await this.renderer.render(document);
    const outcome = await this.invoices.saveForJob(jobId, { id: invoiceId, ...document, pdf }, { invoiceId, pdfUrl: invoicePdfLocation(invoiceId) });
    if (outcome.applied) this.logger.log(`job ${jobId} completed: invoice ${invoiceId} (${pdf.length} byte PDF)`);
    else this.logger.debug(`job ${jobId} was already completed; nothing saved`);
    return outcome.applied;
  }
}
