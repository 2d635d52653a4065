/** InvoiceRepository on the real database: an invoice job's effect, numbered, stored with its PDF and read back (its numbers: invoice-numbers.spec.ts). */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { JobExecutionRepository } from '@baton/persistence';
import { InvoiceRepository, NewInvoice } from '@baton/jobs';
import { openTestDataSource, TestDatabase } from '../support/services';
import { invoiceBody } from '../support/fixtures';
import { jobFixtures, TENANT } from '../support/job-fixtures';

describe('InvoiceRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobExecutionRepository;
  let invoices: InvoiceRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_invoice_repository'));
    jobs = new JobExecutionRepository(ds);
    invoices = new InvoiceRepository(ds, jobs);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob, row } = jobFixtures(() => ds);

  it('stores an invoice, its lines and its PDF, completing the job', async () => {
    const job = await insertJob({ type: JobType.Invoice, payload: invoiceBody() });
    await jobs.claim(job.id, JobType.Invoice);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.3\n'), randomBytes(4096)]);
    const invoice: NewInvoice = {
      id: randomUUID(),
      orderId: 'order-1',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical Row, London' },
      currency: 'EUR',
      taxRatePercent: 8.875,
      issuedAt: '2026-11-20',
      lines: [
        { description: 'Annual plan', quantity: 1, unitPriceCents: 9900, totalCents: 9900n },
        { description: 'Extra seat', quantity: 3, unitPriceCents: 1999, totalCents: 5997n },
        { description: 'Bulk', quantity: 100_000, unitPriceCents: 1_000_000_000, totalCents: 100_000_000_000_000n },
      ],
      subtotalCents: 100_000_000_015_897n,
      taxCents: 8_875_000_001_411n,
      totalCents: 108_875_000_017_308n,
    };
    const result = { invoiceId: invoice.id, pdfUrl: `/v1/invoices/${invoice.id}/pdf` };

    const numbered = await invoices.numberForJob(job.id, invoice, () => ({ seller: null, numberPrefix: 'INV-' }));
    expect(numbered).toEqual({ applied: true, result: { id: invoice.id, number: expect.stringMatching(/^INV-2026-\d{6}$/), issuedAt: '2026-11-20', seller: null } });
    expect(await row(job.id)).toMatchObject({ status: JobStatus.Processing });
    const rendered = {
      invoiceId: invoice.id,
      number: numbered.applied ? numbered.result.number : '',
      orderId: invoice.orderId,
      currency: invoice.currency,
      totals: { subtotalCents: Number(invoice.subtotalCents), taxCents: Number(invoice.taxCents), totalCents: Number(invoice.totalCents) },
    };
    await expect(invoices.completeWithPdf(job.id, rendered, pdf, result)).resolves.toEqual({ applied: true, result });

    const found = await invoices.findById(invoice.id, TENANT);
    expect(found).toMatchObject({
      id: invoice.id,
      jobId: job.id,
      orderId: 'order-1',
      customerName: 'Ada Lovelace',
      customerEmail: 'ada@example.com',
      customerAddress: '12 Analytical Row, London',
      currency: 'EUR',
      taxRatePercent: 8.875,
      issuedAt: '2026-11-20',
      subtotalCents: 100_000_000_015_897,
      taxCents: 8_875_000_001_411,
      totalCents: 108_875_000_017_308,
    });
    expect(found!.lines!.map(({ position, description, quantity, unitPriceCents, totalCents }) => ({ position, description, quantity, unitPriceCents, totalCents }))).toEqual([
      { position: 0, description: 'Annual plan', quantity: 1, unitPriceCents: 9900, totalCents: 9900 },
      { position: 1, description: 'Extra seat', quantity: 3, unitPriceCents: 1999, totalCents: 5997 },
      { position: 2, description: 'Bulk', quantity: 100_000, unitPriceCents: 1_000_000_000, totalCents: 100_000_000_000_000 },
    ]);
    expect(found!.pdf).toBeUndefined(); // the PDF is only read by findPdf

    const stored = await invoices.findPdf(invoice.id, TENANT);
    expect(Buffer.isBuffer(stored!.content)).toBe(true);
    expect(stored!.content.equals(pdf)).toBe(true);
    expect(stored!.number).toMatch(/^INV-2026-\d{6}$/);
    expect(await row(job.id)).toMatchObject({ status: JobStatus.Completed, result });
  });

  it('stores an invoice without an address', async () => {
    const job = await insertJob({ type: JobType.Invoice, payload: invoiceBody() });
    await jobs.claim(job.id, JobType.Invoice);
    const id = randomUUID();
    await invoices.numberForJob(
      job.id,
      {
        id,
        orderId: 'o-2',
        customer: { name: 'B', email: 'b@example.com' },
        currency: 'JPY',
        taxRatePercent: 0,
        issuedAt: '2026-01-31',
        lines: [{ description: 'x', quantity: 2, unitPriceCents: 500, totalCents: 1000n }],
        subtotalCents: 1000n,
        taxCents: 0n,
        totalCents: 1000n,
      },
      () => ({ seller: null, numberPrefix: 'INV-' }),
    );
    await expect(invoices.findById(id, TENANT)).resolves.toMatchObject({ customerAddress: null, currency: 'JPY', taxRatePercent: 0, issuedAt: '2026-01-31' });
  });

  it('finds nothing for an unknown id', async () => {
    await expect(invoices.findById(randomUUID(), TENANT)).resolves.toBeNull();
    await expect(invoices.findPdf(randomUUID(), TENANT)).resolves.toBeNull();
  });
});
