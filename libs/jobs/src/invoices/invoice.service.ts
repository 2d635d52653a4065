import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { invoicePdfLocation } from '@baton/contracts';
import { CreateInvoiceDto } from './create-invoice.dto';
import { DEFAULT_INVOICE_NUMBER_PREFIX } from './invoice-number';
import { InvoiceSellerDto } from './invoice-profile.dto';
import { InvoiceProfile } from './invoice-profile.repository';
import { computeInvoiceTotals } from './invoice-totals';
import { InvoiceRepository, NewInvoice, PrintedSeller } from './invoice.repository';
import { InvoicePdfRenderer } from './invoice-pdf.renderer';

@Injectable()
export class InvoiceService {
  private readonly logger = new Logger('InvoiceService');

  constructor(
    private readonly invoices: InvoiceRepository,
    private readonly renderer: InvoicePdfRenderer,
  ) {}

  /**
   * Issues the job's invoice: computes the totals, takes its number (a
   * short transaction of its own, see InvoiceRepository), renders the PDF
   * with that number outside any transaction, then stores the PDF with the
   * job's completion. A delivery that finds the invoice already numbered
   * renders that one. False when the job was already done (a duplicate
   * delivery).
   */
  async issue(jobId: string, order: CreateInvoiceDto): Promise<boolean> {
    const taxRatePercent = order.taxRatePercent ?? 0;
    const totals = computeInvoiceTotals(order.lines, taxRatePercent);
    const lines = order.lines.map((line, index) => ({ ...line, totalCents: totals.lineTotalsCents[index] }));
    // issuedAt defaults to the day the invoice is numbered, in UTC.
    const issuedAt = (order.issuedAt ?? new Date().toISOString()).slice(0, 10);
    const draft: NewInvoice = { id: randomUUID(), orderId: order.orderId, issuedAt, currency: order.currency, customer: order.customer, lines, taxRatePercent, ...totals };
    const requested = order.seller
      ? printedSeller(order.seller, order.seller.logo ? { contentType: order.seller.logo.contentType, data: Buffer.from(order.seller.logo.data, 'base64') } : null)
      : null;

    const numbered = await this.invoices.numberForJob(jobId, draft, (profile) => ({
      // The request's seller replaces the profile's whole seller block; the profile still gives the number prefix.
      seller: requested ?? (profile ? printedSeller(profile, profile.logo) : null),
      numberPrefix: profile?.numberPrefix ?? DEFAULT_INVOICE_NUMBER_PREFIX,
    }));
    if (!numbered.applied) {
      this.logger.debug(`job ${jobId} was already completed; nothing saved`);
      return false;
    }
    const { id, number, seller } = numbered.result;
    const pdf = await this.renderer.render({
      ...draft,
      invoiceId: id,
      number,
      issuedAt: numbered.result.issuedAt,
      seller: seller && { name: seller.name, address: seller.address, taxId: seller.taxId, footer: seller.footer, logo: seller.logo?.data },
    });
    const rendered = {
      invoiceId: id,
      number,
      orderId: draft.orderId,
      currency: draft.currency,
      totals: { subtotalCents: Number(draft.subtotalCents), taxCents: Number(draft.taxCents), totalCents: Number(draft.totalCents) },
    };
    const outcome = await this.invoices.completeWithPdf(jobId, rendered, pdf, { invoiceId: id, pdfUrl: invoicePdfLocation(id) });
    if (outcome.applied) this.logger.log(`job ${jobId} completed: invoice ${number} ${id} (${pdf.length} byte PDF)`);
    else this.logger.debug(`job ${jobId} was completed meanwhile by another delivery; PDF not stored twice`);
    return outcome.applied;
  }
}

/** The seller block to print: the request's `seller`, or the tenant's profile. */
function printedSeller({ name, address, taxId, footer }: InvoiceSellerDto | InvoiceProfile, logo: PrintedSeller['logo'] | null): PrintedSeller {
  return { name, address, taxId, ...(footer ? { footer } : {}), ...(logo ? { logo } : {}) };
}
