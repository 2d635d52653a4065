import { Injectable } from '@nestjs/common';
import { InvoicePdf, InvoiceRepository } from '@baton/jobs';
import { ReadCache } from '@baton/read-cache';
import { InvoiceView, invoiceView } from './invoice.view';

/**
 * The largest PDF kept in Redis. An invoice's PDF is written once and read
 * as a whole, so serving it from Redis spares PostgreSQL the bytes as well
 * as the query; the bound (a full-size logo and fonts stay under it) keeps
 * an entry, and Redis's memory, bounded. A larger PDF is read from the
 * database each time.
 */
export const MAX_CACHED_PDF_BYTES = 512 * 1024;

/** An invoice's PDF as the cache keeps it: its bytes in base64 (an entry is JSON), and its number for the file name. */
interface CachedPdf {
  number: string | null;
  content: string;
}

/** `GET /v1/invoices/:id` and its PDF through the read cache: both are written once. */
@Injectable()
export class InvoiceReadService {
  constructor(
    private readonly invoices: InvoiceRepository,
    private readonly cache: ReadCache,
  ) {}

  findById(invoiceId: string, tenant: string): Promise<InvoiceView | null> {
    return this.cache.read({ resource: 'invoice', tenant, id: invoiceId }, async () => {
      const invoice = await this.invoices.findById(invoiceId, tenant);
      return invoice && invoiceView(invoice);
    });
  }

  async findPdf(invoiceId: string, tenant: string): Promise<InvoicePdf | null> {
    if (!this.cache.enabled) return this.invoices.findPdf(invoiceId, tenant);
    const cached = await this.cache.read<CachedPdf>(
      { resource: 'invoice-pdf', tenant, id: invoiceId },
      async () => {
        const pdf = await this.invoices.findPdf(invoiceId, tenant);
        return pdf && { number: pdf.number, content: pdf.content.toString('base64') };
      },
      // base64's length, without decoding: 4 characters per 3 bytes.
      (pdf) => pdf.content.length <= Math.ceil(MAX_CACHED_PDF_BYTES / 3) * 4,
    );
    return cached && { number: cached.number, content: Buffer.from(cached.content, 'base64') };
  }
}
