/**
 * Invoices end to end: text in every covered script reaches the PDF's text
 * layer exactly, a tenant's seller profile prints on its invoices, and every
 * invoice gets a number without gaps or repeats, per tenant and year. Through
 * the built processes (an API and two workers in services mode, the
 * standalone process in embedded mode), with PDFs read back by pdf.js, and by
 * pdftotext too where it is installed (required in CI).
 */
import { BatonClient } from '@baton/client';
import {
  batonEnv,
  BatonProcess,
  bearer,
  comparableText,
  createTestBroker,
  createTestDatabase,
  invoiceBody,
  invoiceProfileBody,
  jpegImage,
  logoOf,
  pdfTextLayers,
  pdfTitle,
  pngImage,
  startBaton,
  storeApiKey,
  StoredKey,
  TestDatabase,
  TestVhost,
  waitFor,
} from '../support';
import { Answer, get, JobView, post, request, stopAll, UUID_PATTERN, waitForJob } from './e2e-support';

/** The documented bound on a logo, decoded: stated here, not imported, so that the test checks Baton against it. */
const MAX_LOGO_BYTES = 256 * 1024;

interface Issued {
  job: JobView;
  /** GET /v1/invoices/:id */
  invoice: Record<string, any>;
  /** GET /v1/invoices/:id/pdf */
  pdf: Answer;
}

describe('invoices: scripts, seller profiles and numbers', () => {
  let db: TestDatabase;
  let vhost: TestVhost | undefined;
  let processes: BatonProcess[] = [];
  let api: BatonProcess;

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase('baton_e2e_invoices'), createTestBroker('baton_e2e_invoices')]);
    // Two workers taking four jobs each: invoices of one tenant really do race for their numbers.
    ({ api, processes } = await startBaton({ ...batonEnv(db, vhost), WORKER_CONCURRENCY: '4' }, { workers: [{}, {}] }));
  }, 90_000);

  afterAll(async () => {
    const exits = await stopAll(processes);
    await Promise.all([db?.drop(), vhost?.drop()]);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  }, 60_000);

  /** The headers that make a request with `key`; none for the suite's own key (tenant e2e). */
  const as = (key: StoredKey | undefined): Record<string, string> => (key ? bearer(key.key) : {});

  /** Waits until the job (of `key`'s tenant) has finished; returns its view. */
  async function finished(jobId: string, key?: StoredKey): Promise<JobView> {
    if (!key) return waitForJob(api, jobId, undefined, 60_000);
    return waitFor(
      `job ${jobId} of tenant ${key.tenant} to finish`,
      async () => {
        const answer = await get<JobView>(api.url, `/v1/jobs/${jobId}`, as(key));
        return answer.status === 200 && ['completed', 'dead'].includes(answer.body.status) ? answer.body : undefined;
      },
      60_000,
      50,
    );
  }

  /** Submits an invoice, waits for it to complete, and reads back the invoice and its PDF. */
  async function issue(body: Record<string, unknown>, key?: StoredKey): Promise<Issued> {
    const accepted = await post(api.url, '/v1/invoices', body, as(key));
    expect(accepted.status).toBe(202);
    return readBack(await finished(accepted.body.jobId, key), key);
  }

  async function readBack(job: JobView, key?: StoredKey): Promise<Issued> {
    expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
    const invoice = await get(api.url, `/v1/invoices/${job.result!.invoiceId}`, as(key));
    expect(invoice.status).toBe(200);
    const pdf = await request(api.url, 'GET', job.result!.pdfUrl as string, { headers: as(key) });
    expect(pdf.status).toBe(200);
    return { job, invoice: invoice.body, pdf };
  }

  /**
   * Every string in `expected` is in the PDF's text layer, and none of
   * `absent`, as each extractor reads it (whitespace collapsed: see
   * comparableText).
   */
  async function expectPdfText(pdf: Buffer, expected: string[], absent: string[] = []): Promise<void> {
    for (const layer of await pdfTextLayers(pdf)) {
      const text = comparableText(layer.text);
      const missing = expected.filter((wanted) => !text.includes(comparableText(wanted)));
      const present = absent.filter((unwanted) => text.includes(comparableText(unwanted)));
      expect({ extractor: layer.extractor, missing, present }).toEqual({ extractor: layer.extractor, missing: [], present: [] });
    }
  }

  /** Stores an admin key of a tenant of its own, for tests whose numbers must start from nothing. */
  const tenantKey = (tenant: string, scopes = ['admin']) => storeApiKey(db.url, { tenant, scopes });

  let refusals = 0;

  const putProfile = (body: unknown, key?: StoredKey) => request(api.url, 'PUT', '/v1/invoice-profile', { json: body, headers: as(key) });

  describe('text in the PDF', () => {
    it.each<[string, { name: string; address: string }, string[]]>([
      ['Polish', { name: 'Łukasz Żółć', address: 'ul. Świętokrzyska 5, Kraków' }, ['Zażółć gęślą jaźń', 'Łódź, Gdańsk']],
      ['German', { name: 'Jürgen Groß', address: 'Königstraße 12, München' }, ['Kaffee für Zoë', 'Bügeleisen, Straßenbahn']],
      ['Greek', { name: 'Κώστας Παπαδόπουλος', address: 'Οδός Ερμού 12, Αθήνα' }, ['Καφές για την Ζωή', 'Σουβλάκι']],
      ['Russian', { name: 'Иван Петров', address: 'ул. Тверская 7, Москва' }, ['Кофе для Зои', 'Пельмени, 2 порции']],
    ])('prints a %s invoice with its exact customer name, address and lines', async (_, customer, descriptions) => {
      const lines = descriptions.map((description, index) => ({ description, quantity: index + 1, unitPriceCents: 1250 }));
      const { invoice, pdf } = await issue(invoiceBody({ customer: { ...customer, email: 'customer@example.com' }, lines }));

      // Stored and answered exactly as sent.
      expect(invoice.customer).toEqual({ ...customer, email: 'customer@example.com' });
      expect(invoice.lines.map((line: { description: string }) => line.description)).toEqual(descriptions);
      await expectPdfText(pdf.bytes, [customer.name, customer.address, ...descriptions]);
    });

    it('prints U+FFFD for characters outside the covered scripts (漢字 as ��), and stores them as sent', async () => {
      const { invoice, pdf } = await issue(invoiceBody({ lines: [{ description: 'Tea 漢字', quantity: 1, unitPriceCents: 500 }] }));

      expect(invoice.lines[0].description).toBe('Tea 漢字');
      await expectPdfText(pdf.bytes, ['Tea ��'], ['漢字']);
    });
  });

  describe('PUT and GET /v1/invoice-profile', () => {
    it('stores the profile and answers it; GET reads it back; a second PUT replaces it whole', async () => {
      const key = await tenantKey('profile-round-trip');
      const body = invoiceProfileBody({ logo: logoOf(pngImage({ width: 300, height: 100, colourType: 6 })) });

      // As a backend would, through the typed client.
      const baton = new BatonClient({ baseUrl: api.url, apiKey: key.key });
      expect(await baton.putInvoiceProfile(body as never)).toEqual(body);
      const read = await baton.getInvoiceProfile();
      expect(read).toEqual(body);

      // Whatever a GET answers can be PUT back as it is.
      expect(await baton.putInvoiceProfile(read as never)).toEqual(body);

      const replaced = await baton.putInvoiceProfile({ name: 'Żabka Sp. z o.o.', address: 'Kraków', taxId: 'PL1234567890' });
      expect(replaced).toEqual({ name: 'Żabka Sp. z o.o.', address: 'Kraków', taxId: 'PL1234567890', logo: null, footer: null, numberPrefix: 'INV-' });
      expect(await baton.getInvoiceProfile()).toEqual(replaced);
    });

    it('keeps a JPEG logo byte for byte', async () => {
      const key = await tenantKey('profile-jpeg');
      const logo = logoOf(jpegImage({ width: 64, height: 32 }));
      expect((await putProfile(invoiceProfileBody({ logo }), key)).status).toBe(200);
      await expect(get(api.url, '/v1/invoice-profile', as(key)).then((answer) => answer.body.logo)).resolves.toEqual(logo);
    });

    it.each<[string, string[], Record<string, unknown>]>([
      ['an unknown field', ['bankAccount'], invoiceProfileBody({ bankAccount: 'DE89 3704 0044' })],
      ['logo data that is not base64', ['logo.data'], invoiceProfileBody({ logo: { contentType: 'image/png', data: 'this is not base64!' } })],
      ['a PNG declared as JPEG', ['logo.data'], invoiceProfileBody({ logo: logoOf(pngImage(), 'image/jpeg') })],
      ['a logo over 256 KiB', ['logo.data'], invoiceProfileBody({ logo: logoOf(pngImage({ chunks: [['prVt', Buffer.alloc(MAX_LOGO_BYTES)]] })) })],
      ['a number prefix with a slash', ['numberPrefix'], invoiceProfileBody({ numberPrefix: 'INV/2026' })],
      ['a number prefix too long', ['numberPrefix'], invoiceProfileBody({ numberPrefix: 'X'.repeat(17) })],
      ['no name', ['name'], invoiceProfileBody({ name: undefined })],
      ['several wrong fields (a GIF logo among them)', ['logo.contentType', 'logo.data', 'name', 'numberPrefix', 'taxId'], invoiceProfileBody({ name: '', taxId: 'T'.repeat(65), numberPrefix: '-', logo: { contentType: 'image/gif', data: 'R0lGODlh' } })],
    ])('answers 400 for %s, naming %j, and stores nothing', async (_, fields, body) => {
      const key = await tenantKey(`profile-refused-${++refusals}`);
      const answer = await putProfile(body, key);

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: `Invalid request body: ${answer.body.errors.map((error: { field: string }) => error.field).join(', ')}`,
        errors: expect.any(Array),
        requestId: expect.any(String),
      });
      expect(answer.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(fields);
      expect((await get(api.url, '/v1/invoice-profile', as(key))).status).toBe(404);
    });

    it('answers 403 to a key without the admin scope, and changes nothing', async () => {
      const admin = await tenantKey('profile-scopes');
      const writer = await tenantKey('profile-scopes', ['jobs:write', 'jobs:read']);
      expect((await putProfile(invoiceProfileBody(), admin)).status).toBe(200);

      const put = await putProfile(invoiceProfileBody({ name: 'Someone Else' }), writer);
      expect(put.status).toBe(403);
      expect(put.body.message).toContain('admin');
      expect(put.headers.get('www-authenticate')).toContain('insufficient_scope');
      expect((await get(api.url, '/v1/invoice-profile', as(writer))).status).toBe(403);
      await expect(get(api.url, '/v1/invoice-profile', as(admin)).then((answer) => answer.body.name)).resolves.toBe('Analytical Engines Ltd');
    });

    it("answers another tenant's key with a 404 for the profile it never set", async () => {
      const owner = await tenantKey('profile-owner');
      const stranger = await tenantKey('profile-stranger');
      expect((await putProfile(invoiceProfileBody(), owner)).status).toBe(200);

      const answer = await get(api.url, '/v1/invoice-profile', as(stranger));
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String), requestId: expect.any(String) });
      expect(answer.text).not.toContain('Analytical Engines');
    });
  });

  describe('printing the seller and the number', () => {
    it('prints the profile (name, address, tax id, logo, footer) and the number, titles the PDF with it and names the download after it', async () => {
      const key = await tenantKey('printed-profile');
      const profile = invoiceProfileBody({ name: 'Żółty Kot Sp. z o.o.', taxId: 'PL5260250995', numberPrefix: 'ZK-', logo: logoOf(pngImage({ width: 240, height: 80, colourType: 6 })) });
      expect((await putProfile(profile, key)).status).toBe(200);

      const { invoice, pdf } = await issue(invoiceBody({ issuedAt: '2026-03-01' }), key);

      expect(invoice.number).toBe('ZK-2026-000001');
      expect(invoice.seller).toEqual({ name: 'Żółty Kot Sp. z o.o.', address: profile.address, taxId: 'PL5260250995', footer: 'Payable within 30 days.' });
      await expectPdfText(pdf.bytes, ['ZK-2026-000001', 'Żółty Kot Sp. z o.o.', 'Tax ID PL5260250995', 'Payable within 30 days.', 'Ada Lovelace']);
      await expect(pdfTitle(pdf.bytes)).resolves.toBe('ZK-2026-000001');
      expect(pdf.bytes.toString('latin1')).toMatch(/\/Subtype \/Image/);
      expect(pdf.headers.get('content-type')).toMatch(/^application\/pdf/);
      expect(pdf.headers.get('content-disposition')).toBe('attachment; filename="ZK-2026-000001.pdf"');
    });

    it("prints the request's seller instead of the profile's, with the profile's prefix", async () => {
      const key = await tenantKey('seller-override');
      expect((await putProfile(invoiceProfileBody({ name: 'Profile Seller GmbH', taxId: 'DE111111111', numberPrefix: 'OV-' }), key)).status).toBe(200);
      const seller = { name: 'Κώστας Παπαδόπουλος Α.Ε.', address: 'Οδός Ερμού 12, Αθήνα', taxId: 'EL094259216', logo: logoOf(jpegImage({ width: 80, height: 40 })) };

      const { invoice, pdf } = await issue(invoiceBody({ seller }), key);

      expect(invoice.number).toBe('OV-2026-000001');
      expect(invoice.seller).toEqual({ name: seller.name, address: seller.address, taxId: seller.taxId, footer: null });
      await expectPdfText(pdf.bytes, [seller.name, seller.address, 'Tax ID EL094259216', 'OV-2026-000001'], ['Profile Seller GmbH', 'DE111111111', 'Payable within']);
    });

    it('still completes an invoice without any profile: a number with the default prefix, and no seller block', async () => {
      const key = await tenantKey('no-profile');
      const { invoice, pdf } = await issue(invoiceBody(), key);

      expect(invoice).toMatchObject({ number: 'INV-2026-000001', seller: null });
      await expectPdfText(pdf.bytes, ['INV-2026-000001', 'Bill to', 'Ada Lovelace'], ['From', 'Tax ID']);
      await expect(pdfTitle(pdf.bytes)).resolves.toBe('INV-2026-000001');
      expect(pdf.headers.get('content-disposition')).toBe('attachment; filename="INV-2026-000001.pdf"');
    });

    it('names the download of an invoice stored before numbers after its id', async () => {
      const key = await tenantKey('old-invoice');
      const { job } = await issue(invoiceBody(), key);
      const invoiceId = job.result!.invoiceId as string;
      // As the migration leaves invoices stored before it.
      await db.query(`UPDATE invoices SET number = NULL, seller = NULL WHERE id = $1`, [invoiceId]);

      const { invoice, pdf } = await readBack(job, key);
      expect(invoiceId).toMatch(UUID_PATTERN);
      expect(invoice).toMatchObject({ id: invoiceId, number: null, seller: null });
      expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="invoice-${invoiceId}.pdf"`);
    });
  });

  describe('numbers', () => {
    /** Submits all at once, waits for all; returns each invoice's number. */
    async function issueAtOnce(bodies: Array<Record<string, unknown>>, key: StoredKey): Promise<string[]> {
      const accepted = await Promise.all(bodies.map((body) => post(api.url, '/v1/invoices', body, as(key))));
      expect(accepted.map((answer) => answer.status)).toEqual(bodies.map(() => 202));
      const jobs = await Promise.all(accepted.map((answer) => finished(answer.body.jobId, key)));
      expect(jobs.map((job) => job.status)).toEqual(bodies.map(() => 'completed'));
      const invoices = await Promise.all(jobs.map((job) => get(api.url, `/v1/invoices/${job.result!.invoiceId}`, as(key))));
      return invoices.map((invoice) => invoice.body.number as string);
    }

    const sequence = (prefix: string, year: number, count: number) =>
      Array.from({ length: count }, (_, index) => `${prefix}${year}-${String(index + 1).padStart(6, '0')}`);

    it("gives 20 invoices submitted at once for one tenant exactly the numbers 1 to 20 of their year, with the tenant's prefix", async () => {
      const key = await tenantKey('numbers-burst');
      expect((await putProfile(invoiceProfileBody({ numberPrefix: 'NB-' }), key)).status).toBe(200);

      const numbers = await issueAtOnce(Array.from({ length: 20 }, (_, index) => invoiceBody({ orderId: `burst-${index}` })), key);

      expect([...numbers].sort()).toEqual(sequence('NB-', 2026, 20));
      const [row] = await db.query<{ last_value: number }>(`SELECT last_value FROM invoice_number_counters WHERE tenant = 'numbers-burst' AND year = 2026`);
      expect(row.last_value).toBe(20);
    });

    it("keeps two tenants' sequences apart", async () => {
      const [first, second] = await Promise.all([tenantKey('numbers-first'), tenantKey('numbers-second')]);
      const [firstNumbers, secondNumbers] = await Promise.all([
        issueAtOnce(Array.from({ length: 5 }, () => invoiceBody()), first),
        issueAtOnce(Array.from({ length: 3 }, () => invoiceBody()), second),
      ]);

      expect([...firstNumbers].sort()).toEqual(sequence('INV-', 2026, 5));
      expect([...secondNumbers].sort()).toEqual(sequence('INV-', 2026, 3));
    });

    it('numbers each year of issue on its own, each starting at 1', async () => {
      const key = await tenantKey('numbers-years');
      const numbers = await issueAtOnce(
        [2025, 2026, 2025, 2026, 2026].map((year, index) => invoiceBody({ orderId: `year-${index}`, issuedAt: `${year}-12-31` })),
        key,
      );

      expect(numbers.filter((number) => number.startsWith('INV-2025-')).sort()).toEqual(sequence('INV-', 2025, 2));
      expect(numbers.filter((number) => number.startsWith('INV-2026-')).sort()).toEqual(sequence('INV-', 2026, 3));
    });
  });
});
