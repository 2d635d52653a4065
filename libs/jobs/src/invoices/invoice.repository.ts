import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventType, invoicePdfLocation } from '@baton/contracts';
import { connected, EffectOutcome, EffectSql, insertRows, JobExecutionRepository, PRIMARY_READS, ReplicaReads, unlessMissing } from '@baton/persistence';
import { InvoiceEntity, InvoiceSeller } from './invoice.entity';
import { formatInvoiceNumber, invoiceYear } from './invoice-number';
import { findInvoiceProfile, InvoiceProfile } from './invoice-profile.repository';

export interface NewInvoice {
  id: string;
  orderId: string;
  customer: { name: string; email: string; address?: string };
  currency: string;
  taxRatePercent: number;
  issuedAt: string;
  lines: Array<{ description: string; quantity: number; unitPriceCents: number; totalCents: bigint }>;
  subtotalCents: bigint;
  taxCents: bigint;
  totalCents: bigint;
}

/** An invoice's seller as printed: its text (kept on the invoice as it was) and its logo. */
/** What the `invoice.rendered` event says of an invoice (its PDF's URL is added). */
export interface RenderedInvoice {
  invoiceId: string;
  number: string;
  orderId: string;
  currency: string;
  totals: { subtotalCents: number; taxCents: number; totalCents: number };
}

export interface PrintedSeller extends InvoiceSeller {
  logo?: { contentType: string; data: Buffer };
}

/** Who sells, and how the number starts, once the tenant's profile (or its absence) is known. */
export interface SellerChoice {
  seller: PrintedSeller | null;
  numberPrefix: string;
}

/** An invoice with its number, stored and committed, waiting for its PDF. */
export interface NumberedInvoice {
  id: string;
  number: string;
  /** As stored: a retry renders the date the invoice was numbered with, not its own day. */
  issuedAt: string;
  seller: PrintedSeller | null;
}

/** The invoice's PDF and the number that names its download (null for an invoice stored before numbers). */
export interface InvoicePdf {
  content: Buffer;
  number: string | null;
}

// One counter row per tenant and year. Taking a number locks the row until
// the transaction ends: a concurrent invoice of the same tenant and year
// waits here for the commit (and takes the next number) or the rollback
// (and takes the same one), so numbers have neither gaps nor repeats.
const TAKE_INVOICE_NUMBER = `INSERT INTO invoice_number_counters (tenant, year, last_value) VALUES ($1, $2, 1)
  ON CONFLICT (tenant, year) DO UPDATE SET last_value = invoice_number_counters.last_value + 1
  RETURNING last_value`;

/**
 * An invoice is issued in two commits, so that a tenant's invoices take
 * their numbers one at a time without rendering one at a time:
 * 1. numberForJob: the number is taken and the invoice stored with it, in a
 *    short transaction under the job's lock (the counter row is held only
 *    as long as that transaction);
 * 2. the PDF, which prints the number, is rendered outside any transaction;
 * 3. completeWithPdf: the PDF is stored and the job completed, once.
 * A delivery that finds its invoice already numbered (its worker died, or
 * rendering failed, after step 1) carries on with that invoice: a retried
 * job keeps its number, its date and its seller.
 */
@Injectable()
export class InvoiceRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly jobs: JobExecutionRepository,
    @Optional() private readonly replicas: ReplicaReads = PRIMARY_READS,
  ) {}

  /**
   * The job's invoice, numbered: the one an earlier delivery stored, or
   * `draft`, stored now with the next number of its tenant and year and the
   * seller `choose` picks given the tenant's profile. Not applied when the
   * job is finished.
   */
  numberForJob(jobId: string, draft: NewInvoice, choose: (profile: InvoiceProfile | null) => SellerChoice): Promise<EffectOutcome<NumberedInvoice>> {
    return this.jobs.prepareWith(jobId, async (sql, job) => {
      const earlier = await this.findNumbered(sql, jobId);
      if (earlier) return earlier;
      const { seller, numberPrefix } = choose(await findInvoiceProfile(sql, job.tenant));
      const logoKey = seller?.logo ? await this.storeLogo(sql, seller.logo) : null;
      const number = await this.takeNumber(sql, job.tenant, invoiceYear(draft.issuedAt), numberPrefix);
      await sql.query(
        `INSERT INTO invoices (id, job_id, tenant, number, seller, seller_logo, order_id, customer_name, customer_email, customer_address, currency,
           tax_rate_percent, issued_at, subtotal_cents, tax_cents, total_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          draft.id,
          jobId,
          job.tenant,
          number,
          seller && sellerText(seller),
          logoKey,
          draft.orderId,
          draft.customer.name,
          draft.customer.email,
          draft.customer.address ?? null,
          draft.currency,
          draft.taxRatePercent,
          draft.issuedAt,
          draft.subtotalCents.toString(),
          draft.taxCents.toString(),
          draft.totalCents.toString(),
        ],
      );
      await insertRows(
        sql,
        'invoice_lines',
        ['invoice_id', 'position', 'description', 'quantity', 'unit_price_cents', 'total_cents'],
        draft.lines.map((line, position) => [draft.id, position, line.description, line.quantity, line.unitPriceCents, line.totalCents.toString()]),
      );
      return { id: draft.id, number, issuedAt: draft.issuedAt, seller };
    });
  }

  /** Stores the numbered invoice's PDF and completes the job, with its `invoice.rendered` event, in one transaction; once per job. */
  completeWithPdf<R extends object>(jobId: string, invoice: RenderedInvoice, pdf: Buffer, result: R): Promise<EffectOutcome<R>> {
    return this.jobs.completeWith(jobId, async (sql, _job, events) => {
      await sql.query(`INSERT INTO invoice_pdfs (invoice_id, content) VALUES ($1, $2)`, [invoice.invoiceId, pdf]);
      events.record(EventType.InvoiceRendered, { ...invoice, pdfUrl: invoicePdfLocation(invoice.invoiceId) });
      return result;
    });
  }

  private async findNumbered(sql: EffectSql, jobId: string): Promise<NumberedInvoice | null> {
    const [row] = await sql.query<{ id: string; number: string; issued_at: string; seller: InvoiceSeller | null; content_type: string | null; data: Buffer | null }>(
      `SELECT invoice.id, invoice.number, invoice.issued_at::text AS issued_at, invoice.seller, logo.content_type, logo.data
       FROM invoices invoice LEFT JOIN invoice_logos logo ON logo.sha256 = invoice.seller_logo
       WHERE invoice.job_id = $1`,
      [jobId],
    );
    if (!row) return null;
    const seller = row.seller && { ...row.seller, ...(row.data && row.content_type ? { logo: { contentType: row.content_type, data: row.data } } : {}) };
    return { id: row.id, number: row.number, issuedAt: row.issued_at, seller };
  }

  /** Keeps a logo once, by its SHA-256, for the invoices printed with it; returns the key. */
  private async storeLogo(sql: EffectSql, logo: { contentType: string; data: Buffer }): Promise<Buffer> {
    const key = createHash('sha256').update(logo.data).digest();
    await sql.query(`INSERT INTO invoice_logos (sha256, content_type, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [key, logo.contentType, logo.data]);
    return key;
  }

  private async takeNumber(sql: EffectSql, tenant: string, year: number, prefix: string): Promise<string> {
    const [counter] = await sql.query<{ last_value: number }>(TAKE_INVOICE_NUMBER, [tenant, year]);
    return formatInvoiceNumber(prefix, year, counter.last_value);
  }

  /**
   * The tenant's invoice with this id; null for another tenant's, as for one
   * that does not exist. Stored once with its lines, so a replica's copy is
   * the invoice; one the replica lacks yet is read from the primary.
   */
  async findById(id: string, tenant: string): Promise<InvoiceEntity | null> {
    return this.replicas.read(
      this.dataSource,
      (source) =>
        connected(source).getRepository(InvoiceEntity).findOne({
          where: { id, tenant },
          relations: { lines: true },
          order: { lines: { position: 'ASC' } },
        }),
      unlessMissing,
    );
  }

  /** The PDF of the tenant's invoice, with its number; null for another tenant's, as for one that does not exist. Stored once, read as findById is. */
  async findPdf(invoiceId: string, tenant: string): Promise<InvoicePdf | null> {
    return this.replicas.read(
      this.dataSource,
      async (source) => {
        const [row] = await connected(source).query(
          `SELECT pdf.content, invoice.number FROM invoice_pdfs pdf JOIN invoices invoice ON invoice.id = pdf.invoice_id
           WHERE pdf.invoice_id = $1 AND invoice.tenant = $2`,
          [invoiceId, tenant],
        );
        return row ? { content: row.content, number: row.number } : null;
      },
      unlessMissing,
    );
  }
}

/** What the invoice row keeps of its seller: the text as printed; the logo is kept apart, once per image. */
function sellerText({ name, address, taxId, footer }: PrintedSeller): InvoiceSeller {
  return { name, address, taxId, ...(footer ? { footer } : {}) };
}
