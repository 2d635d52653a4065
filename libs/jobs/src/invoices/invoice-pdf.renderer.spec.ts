import 'reflect-metadata';
import { inspectLogoImage } from './logo-image';
import { jpegImage, pngImage } from '../../../../test/support/fixtures';
import { comparableText, pdfTextLayers, pdfTitle } from '../../../../test/support/pdf-text';
import { InvoiceDocument, InvoicePdfRenderer } from './invoice-pdf.renderer';

const renderer = new InvoicePdfRenderer();

function invoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    invoiceId: '5b0f6a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
    number: 'INV-2026-000042',
    orderId: 'order-1001',
    issuedAt: '2026-11-20',
    currency: 'EUR',
    seller: { name: 'Analytical Engines Ltd', address: '1 Difference Lane\nLondon EC1A 1AA', taxId: 'GB123456789', footer: 'Payable within 30 days.' },
    customer: { name: 'Łukasz Żółć', email: 'lukasz@example.com', address: 'ul. Świętokrzyska 5, Kraków' },
    lines: [
      { description: 'Kaffee für Zoë', quantity: 1, unitPriceCents: 9900, totalCents: 9900n },
      { description: 'Иван Петров: ул. Тверская 7, Москва', quantity: 3, unitPriceCents: 1999, totalCents: 5997n },
    ],
    taxRatePercent: 20,
    subtotalCents: 15_897n,
    taxCents: 3179n,
    totalCents: 19_076n,
    ...overrides,
  };
}

/** Fails with the extractor's name and text unless every expected string is in the PDF's text layer, as each extractor reads it. */
async function expectText(pdf: Buffer, expected: string[], absent: string[] = []): Promise<void> {
  for (const layer of await pdfTextLayers(pdf)) {
    const text = comparableText(layer.text);
    for (const wanted of expected) expect({ extractor: layer.extractor, has: wanted, found: text.includes(comparableText(wanted)) }).toMatchObject({ found: true });
    for (const unwanted of absent) expect({ extractor: layer.extractor, lacks: unwanted, found: text.includes(comparableText(unwanted)) }).toMatchObject({ found: false });
  }
}

describe(InvoicePdfRenderer.name, () => {
  it('prints customer, lines, seller, number and footer with their exact characters, and titles the document with the number', async () => {
    const pdf = await renderer.render(invoice());

    await expectText(pdf, [
      'INV-2026-000042',
      'Łukasz Żółć',
      'ul. Świętokrzyska 5, Kraków',
      'Kaffee für Zoë',
      'Иван Петров: ул. Тверская 7, Москва',
      'Analytical Engines Ltd',
      '1 Difference Lane',
      'London EC1A 1AA',
      'Tax ID GB123456789',
      'Payable within 30 days.',
      'EUR 190.76',
    ]);
    await expect(pdfTitle(pdf)).resolves.toBe('INV-2026-000042');
  });

  // A font face shared between documents loses, in later text layers, the
  // glyphs an earlier document's subset took apart (see invoiceFonts).
  it('keeps the text layer exact whatever the process rendered before', async () => {
    const only = (name: string, address: string) =>
      invoice({ customer: { name, address, email: 'x@example.com' }, lines: [{ description: name, quantity: 1, unitPriceCents: 100, totalCents: 100n }] });
    await renderer.render(only('Łukasz Żółć', 'ul. Świętokrzyska 5, Kraków'));
    await renderer.render(only('Κώστας Παπαδόπουλος', 'Οδός Ερμού 12, Αθήνα'));
    const pdf = await renderer.render(only('Иван Петров', 'ул. Тверская 7, Москва'));
    await expectText(pdf, ['Иван Петров', 'ул. Тверская 7, Москва']);
  });

  it('prints U+FFFD for what it cannot show, and never the original in the text layer', async () => {
    const pdf = await renderer.render(invoice({ lines: [{ description: 'Tea 漢字 שלום 😀', quantity: 1, unitPriceCents: 100, totalCents: 100n }] }));
    await expectText(pdf, ['Tea �� ���� �'], ['漢', 'ש', '😀']);
  });

  it('prints no seller block and no footer without a seller', async () => {
    const pdf = await renderer.render(invoice({ seller: null }));
    await expectText(pdf, ['INV-2026-000042', 'Bill to', 'Łukasz Żółć'], ['From', 'Tax ID', 'Payable within']);
  });

  it('continues a 200-line invoice on further pages, with every line', async () => {
    const lines = Array.from({ length: 200 }, (_, index) => ({ description: `Zeile ${index + 1}: Größe ÄÖÜ`, quantity: 1, unitPriceCents: 100, totalCents: 100n }));
    const pdf = await renderer.render(invoice({ lines, subtotalCents: 20_000n, taxCents: 4000n, totalCents: 24_000n }));
    await expectText(pdf, ['Zeile 1: Größe ÄÖÜ', 'Zeile 200: Größe ÄÖÜ', 'Payable within 30 days.', 'EUR 240.00']);
  });

  // Every kind of image the logo check lets in must be one PDFKit draws:
  // a logo that passed the door must never fail (or crash) a render.
  it.each<[string, Buffer]>([
    ['RGB PNG', pngImage({ width: 300, height: 100 })],
    ['RGBA PNG', pngImage({ width: 300, height: 100, colourType: 6 })],
    ['16-bit RGBA PNG', pngImage({ colourType: 6, bitDepth: 16 })],
    ['16-bit RGB PNG', pngImage({ colourType: 2, bitDepth: 16 })],
    ['1-bit greyscale PNG', pngImage({ colourType: 0, bitDepth: 1, width: 13, height: 3 })],
    ['greyscale and alpha PNG', pngImage({ colourType: 4 })],
    ['2-bit palette PNG', pngImage({ colourType: 3, bitDepth: 2 })],
    ['8-bit palette PNG with transparency', pngImage({ colourType: 3, bitDepth: 8, transparency: true, width: 7, height: 3 })],
    ['JPEG', jpegImage({ width: 120, height: 40 })],
    ['tall JPEG', jpegImage({ width: 8, height: 400 })],
  ])('draws a logo that is a %s, fitted at the top right', async (_, logo) => {
    expect(inspectLogoImage(logo).ok).toBe(true);
    const pdf = await renderer.render(invoice({ seller: { ...invoice().seller!, logo } }));
    expect(pdf.toString('latin1')).toMatch(/\/Subtype \/Image/);
    await expectText(pdf, ['INV-2026-000042', 'Analytical Engines Ltd']);
  });
});
