import { Inject, Injectable } from '@nestjs/common';
import { connected } from '../database-connector';
import { DataSource } from 'typeorm';
import { InvoiceEntity } from '../entities';
import { EffectOutcome, JobRepository } from './job.repository';
import { insertRows } from './multi-row-insert';

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
  pdf: Buffer;
}

@Injectable()
export class InvoiceRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly jobs: JobRepository,
  ) {}

  /** Stores the invoice, its lines and its PDF and completes the job, in one transaction; once per job. */
  saveForJob(jobId: string, invoice: NewInvoice, result: { invoiceId: string; pdfUrl: string }): Promise<EffectOutcome<typeof result>> {
    return this.jobs.completeWith(jobId, async (sql, job) => {
      await sql.query(
        `INSERT INTO invoices (id, job_id, tenant, order_id, customer_name, customer_email, customer_address, currency,
           tax_rate_percent, issued_at, subtotal_cents, tax_cents, total_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          invoice.id,
          jobId,
          job.tenant,
          invoice.orderId,
          invoice.customer.name,
          invoice.customer.email,
          invoice.customer.address ?? null,
          invoice.currency,
          invoice.taxRatePercent,
          invoice.issuedAt,
          invoice.subtotalCents.toString(),
          invoice.taxCents.toString(),
          invoice.totalCents.toString(),
        ],
      );
      await insertRows(
        sql,
        'invoice_lines',
        ['invoice_id', 'position', 'description', 'quantity', 'unit_price_cents', 'total_cents'],
        invoice.lines.map((line, position) => [
          invoice.id,
          position,
          line.description,
          line.quantity,
          line.unitPriceCents,
          line.totalCents.toString(),
        ]),
      );
      await sql.query(`INSERT INTO invoice_pdfs (invoice_id, content) VALUES ($1, $2)`, [invoice.id, invoice.pdf]);
      return result;
    });
  }

  /** The tenant's invoice with this id; null for another tenant's, as for one that does not exist. */
  async findById(id: string, tenant: string): Promise<InvoiceEntity | null> {
    return connected(this.dataSource).getRepository(InvoiceEntity).findOne({
      where: { id, tenant },
      relations: { lines: true },
      order: { lines: { position: 'ASC' } },
    });
  }

  /** The PDF of the tenant's invoice; null for another tenant's, as for one that does not exist. */
  async findPdf(invoiceId: string, tenant: string): Promise<Buffer | null> {
    const [row] = await connected(this.dataSource).query(
      `SELECT pdf.content FROM invoice_pdfs pdf JOIN invoices invoice ON invoice.id = pdf.invoice_id
       WHERE pdf.invoice_id = $1 AND invoice.tenant = $2`,
      [invoiceId, tenant],
    );
    return row?.content ?? null;
  }
}
