/**
 * Invoice numbers as the repository takes them, on the real database:
 * consecutive under concurrent workers, given back by a transaction that
 * rolls back, kept by a job retried after it was numbered. (On the embedded
 * PostgreSQL, transactions take turns: the same assertions hold, with less
 * overlap.)
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobStatus, JobType } from '@baton/contracts';
import { createDataSource, JobExecutionRepository, JobIntakeRepository } from '@baton/persistence';
import { BATON_SCHEMA, InvoiceProfile, InvoiceProfileRepository, InvoiceRepository, NewInvoice, SellerChoice } from '@baton/jobs';
import { invoiceBody, pngImage } from '../support/fixtures';
import { createTestDatabase, TestDatabase } from '../support/services';

describe('InvoiceRepository: invoice numbers (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let intake: JobIntakeRepository;
  let execution: JobExecutionRepository;
  let invoices: InvoiceRepository;
  let profiles: InvoiceProfileRepository;

  beforeAll(async () => {
    db = await createTestDatabase('baton_invoice_numbers');
    ds = await createDataSource({ url: db.url, poolSize: 20, applicationName: 'baton-invoice-numbers-test', schema: BATON_SCHEMA }).initialize();
    intake = new JobIntakeRepository(ds);
    execution = new JobExecutionRepository(ds);
    invoices = new InvoiceRepository(ds, execution);
    profiles = new InvoiceProfileRepository(ds);
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  /** A claimed invoice job of `tenant`, ready for its effect. */
  async function claimedJob(tenant: string): Promise<string> {
    const id = randomUUID();
    await intake.insert({ id, type: JobType.Invoice, tenant, payload: invoiceBody(), maxAttempts: 3, correlationId: `corr-${id}` });
    await execution.claim(id, JobType.Invoice);
    return id;
  }

  const draft = (overrides: Partial<NewInvoice> = {}): NewInvoice => ({
    id: randomUUID(),
    orderId: 'order-1',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    currency: 'EUR',
    taxRatePercent: 0,
    issuedAt: '2026-11-20',
    lines: [{ description: 'x', quantity: 1, unitPriceCents: 100, totalCents: 100n }],
    subtotalCents: 100n,
    taxCents: 0n,
    totalCents: 100n,
    ...overrides,
  });

  /** No seller, the profile's prefix (or INV-). */
  const byProfile = (profile: { numberPrefix: string } | null): SellerChoice => ({ seller: null, numberPrefix: profile?.numberPrefix ?? 'INV-' });

  /** Numbers the job's invoice, "renders" it, and completes the job with the PDF, as the worker does; returns the number. */
  async function issue(jobId: string, invoice = draft()): Promise<string> {
    const numbered = await invoices.numberForJob(jobId, invoice, byProfile);
    if (!numbered.applied) throw new Error(`job ${jobId} is finished`);
    await invoices.completeWithPdf(jobId, renderedInvoice(numbered.result.id, numbered.result.number), Buffer.from(`%PDF ${numbered.result.number}`), { invoiceId: numbered.result.id });
    return numbered.result.number;
  }

  const storedNumbers = async (tenant: string): Promise<string[]> =>
    (await ds.query(`SELECT number FROM invoices WHERE tenant = $1 ORDER BY number`, [tenant])).map((row: { number: string }) => row.number);

  const sequence = (prefix: string, count: number, year = 2026) => Array.from({ length: count }, (_, index) => `${prefix}${year}-${String(index + 1).padStart(6, '0')}`);

  it('gives concurrent invoices of one tenant consecutive numbers, each once', async () => {
    const tenant = 'concurrent';
    const ids = await Promise.all(Array.from({ length: 30 }, () => claimedJob(tenant)));

    const numbers = await Promise.all(ids.map((id) => issue(id)));

    expect([...numbers].sort()).toEqual(sequence('INV-', 30));
    await expect(storedNumbers(tenant)).resolves.toEqual(sequence('INV-', 30));
    await expect(ds.query(`SELECT last_value FROM invoice_number_counters WHERE tenant = $1 AND year = 2026`, [tenant])).resolves.toEqual([{ last_value: 30 }]);
    const statuses = await ds.query(`SELECT DISTINCT status FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
    expect(statuses).toEqual([{ status: JobStatus.Completed }]);
  });

  it("numbers with the prefix of the tenant's profile, read in the transaction", async () => {
    const tenant = 'with-profile';
    await profiles.put(tenant, { name: 'Seller', address: 'Street 1', taxId: 'T1', logo: null, footer: null, numberPrefix: 'SP-' });

    await expect(issue(await claimedJob(tenant))).resolves.toBe('SP-2026-000001');
  });

  it('gives the number back when the numbering transaction fails: the next invoice takes it', async () => {
    const tenant = 'rolled-back';
    const failing = await claimedJob(tenant);
    // The invoice row is written after the number is taken; one it cannot store rolls the number back.
    await expect(invoices.numberForJob(failing, draft({ orderId: 'x'.repeat(65) }), byProfile)).rejects.toThrow(/too long/);
    await expect(ds.query(`SELECT count(*)::int AS n FROM invoice_number_counters WHERE tenant = $1`, [tenant])).resolves.toEqual([{ n: 0 }]);

    await expect(issue(await claimedJob(tenant))).resolves.toBe('INV-2026-000001');
    await expect(issue(failing)).resolves.toBe('INV-2026-000002');
    await expect(storedNumbers(tenant)).resolves.toEqual(sequence('INV-', 2));
  });

  it('keeps the number, date and seller of a job retried after it was numbered (its worker died, or its PDF failed)', async () => {
    const tenant = 'retried';
    const logoA = pngImage({ width: 4, height: 2, colourType: 2 });
    await profiles.put(tenant, { name: 'Seller A', address: 'Street 1', taxId: 'T1', logo: { contentType: 'image/png', data: logoA }, footer: 'Thanks', numberPrefix: 'R-' });
    const retried = await claimedJob(tenant);
    const choose = (profile: InvoiceProfile | null): SellerChoice => ({
      seller: profile && {
        name: profile.name,
        address: profile.address,
        taxId: profile.taxId,
        ...(profile.footer ? { footer: profile.footer } : {}),
        ...(profile.logo ? { logo: profile.logo } : {}),
      },
      numberPrefix: profile?.numberPrefix ?? 'INV-',
    });
    const first = await invoices.numberForJob(retried, draft({ issuedAt: '2026-12-31' }), choose);
    expect(first).toMatchObject({ applied: true, result: { number: 'R-2026-000001', issuedAt: '2026-12-31' } });
    // Meanwhile: another invoice is issued, and the profile changes its name and logo.
    await expect(issue(await claimedJob(tenant))).resolves.toBe('R-2026-000002');
    await profiles.put(tenant, {
      name: 'Seller B',
      address: 'Street 2',
      taxId: 'T2',
      logo: { contentType: 'image/png', data: pngImage({ width: 8, height: 8, colourType: 2 }) },
      footer: null,
      numberPrefix: 'R-',
    });

    // The retry, a new day later, with a draft of its own.
    const again = await invoices.numberForJob(retried, draft({ issuedAt: '2027-01-01' }), choose);
    expect(again).toEqual({
      applied: true,
      result: {
        id: first.applied && first.result.id,
        number: 'R-2026-000001',
        issuedAt: '2026-12-31',
        seller: { name: 'Seller A', address: 'Street 1', taxId: 'T1', footer: 'Thanks', logo: { contentType: 'image/png', data: logoA } },
      },
    });
    if (!again.applied) throw new Error(`job ${retried} is finished`);
    await invoices.completeWithPdf(retried, renderedInvoice(again.result.id, again.result.number), Buffer.from('%PDF'), {});
    await expect(storedNumbers(tenant)).resolves.toEqual(['R-2026-000001', 'R-2026-000002']);
    await expect(ds.query(`SELECT count(*)::int AS n FROM invoice_logos`)).resolves.toEqual([{ n: 1 }]);
  });

  it('numbers each tenant and each year on its own, and never again for a completed job', async () => {
    const a2026 = await claimedJob('tenant-a');
    await expect(issue(a2026, draft({ issuedAt: '2026-12-31' }))).resolves.toBe('INV-2026-000001');
    await expect(issue(await claimedJob('tenant-a'), draft({ issuedAt: '2027-01-01' }))).resolves.toBe('INV-2027-000001');
    await expect(issue(await claimedJob('tenant-b'), draft({ issuedAt: '2026-06-01' }))).resolves.toBe('INV-2026-000001');
    await expect(issue(await claimedJob('tenant-a'), draft({ issuedAt: '2026-01-01' }))).resolves.toBe('INV-2026-000002');
    // A duplicate delivery of a completed job takes no number.
    await expect(invoices.numberForJob(a2026, draft(), byProfile)).resolves.toEqual({ applied: false });
    await expect(storedNumbers('tenant-a')).resolves.toEqual(['INV-2026-000001', 'INV-2026-000002', 'INV-2027-000001']);
  });

  it('refuses a second invoice with the same number for a tenant (the unique index)', async () => {
    await issue(await claimedJob('unique'));
    // As if the counter were reset by hand: the index still keeps numbers unique.
    await ds.query(`UPDATE invoice_number_counters SET last_value = 0 WHERE tenant = 'unique'`);
    await expect(issue(await claimedJob('unique'))).rejects.toThrow(/invoices_tenant_number_uq/);
  });
});

/** The invoice.rendered event's fields for a stored invoice (its totals do not matter here). */
function renderedInvoice(invoiceId: string, number: string) {
  return { invoiceId, number, orderId: 'order-1', currency: 'EUR', totals: { subtotalCents: 0, taxCents: 0, totalCents: 0 } };
}
