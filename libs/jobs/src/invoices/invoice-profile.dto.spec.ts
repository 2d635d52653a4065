import 'reflect-metadata';
import { invoiceBody, invoiceProfileBody, jpegImage, logoOf, pngImage } from '../../../../test/support/fixtures';
import { InvoiceProfileDto } from './invoice-profile.dto';
import { FieldError, JobType, validateBody } from '@baton/contracts';
import { validatePayload } from '../job-catalogue';
import { MAX_LOGO_BYTES } from './logo-image';

const text = (length: number, char = 'x'): string => char.repeat(length);

/** A valid PNG whose file is exactly `bytes` long (padded with a private ancillary chunk). */
function pngOfSize(bytes: number): Buffer {
  const bare = pngImage();
  const padded = pngImage({ chunks: [['prVt', Buffer.alloc(bytes - bare.length - 12)]] });
  expect(padded.length).toBe(bytes);
  return padded;
}

async function profileErrors(body: unknown): Promise<FieldError[]> {
  const check = await validateBody(InvoiceProfileDto, body);
  return check.valid ? [] : check.errors;
}

describe('InvoiceProfileDto', () => {
  it('accepts the fixture body and returns an InvoiceProfileDto with its values', async () => {
    const check = await validateBody(InvoiceProfileDto, invoiceProfileBody({ logo: logoOf(pngImage()) }));
    if (!check.valid) throw new Error(JSON.stringify(check.errors));
    expect(check.payload).toBeInstanceOf(InvoiceProfileDto);
    expect(check.payload).toMatchObject({ name: 'Analytical Engines Ltd', taxId: 'GB123456789', numberPrefix: 'AE-', logo: { contentType: 'image/png' } });
  });

  it.each<[string, Record<string, unknown>]>([
    ['only the required fields', { name: 'A', address: 'B', taxId: 'C' }],
    ['a JPEG logo', invoiceProfileBody({ logo: logoOf(jpegImage()) })],
    ['a logo of exactly 256 KiB', invoiceProfileBody({ logo: logoOf(pngOfSize(MAX_LOGO_BYTES)) })],
    ['null logo, footer and prefix (as GET answers them)', invoiceProfileBody({ logo: null, footer: null, numberPrefix: null })],
    ['the longest name, address, tax id, footer and prefix', invoiceProfileBody({ name: text(200), address: text(500), taxId: text(64), footer: text(1000), numberPrefix: text(16) })],
    ['an address and a footer over several lines', invoiceProfileBody({ address: 'ul. Świętokrzyska 5\r\n00-001 Kraków', footer: 'IBAN PL61 1090 1014\nBIC WBKPPLPP' })],
    ['an empty footer', invoiceProfileBody({ footer: '' })],
    ['a one-character prefix', invoiceProfileBody({ numberPrefix: '7' })],
  ])('accepts %s', async (_, body) => {
    await expect(profileErrors(body)).resolves.toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['an unknown field', invoiceProfileBody({ colour: 'blue' }), ['colour']],
    ['no name', invoiceProfileBody({ name: undefined }), ['name']],
    ['an empty name', invoiceProfileBody({ name: '' }), ['name']],
    ['a name too long', invoiceProfileBody({ name: text(201) }), ['name']],
    ['a name over two lines', invoiceProfileBody({ name: 'Analytical\nEngines' }), ['name']],
    ['a name that is not a string', invoiceProfileBody({ name: 42 }), ['name']],
    ['no address', invoiceProfileBody({ address: undefined }), ['address']],
    ['an address too long', invoiceProfileBody({ address: text(501) }), ['address']],
    ['an empty tax id', invoiceProfileBody({ taxId: '' }), ['taxId']],
    ['a tax id too long', invoiceProfileBody({ taxId: text(65) }), ['taxId']],
    ['a tax id over two lines', invoiceProfileBody({ taxId: 'GB1\r2' }), ['taxId']],
    ['a footer too long', invoiceProfileBody({ footer: text(1001) }), ['footer']],
    ['an empty prefix', invoiceProfileBody({ numberPrefix: '' }), ['numberPrefix']],
    ['a prefix starting with a dash', invoiceProfileBody({ numberPrefix: '-INV' }), ['numberPrefix']],
    ['a prefix with a slash', invoiceProfileBody({ numberPrefix: 'INV/' }), ['numberPrefix']],
    ['a prefix with a quote', invoiceProfileBody({ numberPrefix: 'INV"' }), ['numberPrefix']],
    ['a prefix too long', invoiceProfileBody({ numberPrefix: text(17) }), ['numberPrefix']],
    ['a prefix that is not a string', invoiceProfileBody({ numberPrefix: 42 }), ['numberPrefix']],
    ['a logo that is a string', invoiceProfileBody({ logo: 'logo.png' }), ['logo']],
    ['a logo of another type', invoiceProfileBody({ logo: logoOf(pngImage(), 'image/gif') }), ['logo.contentType']],
    ['a logo without data', invoiceProfileBody({ logo: { contentType: 'image/png' } }), ['logo.data']],
    ['logo data that is not base64', invoiceProfileBody({ logo: { contentType: 'image/png', data: 'not base64!' } }), ['logo.data']],
    ['logo data that is base64 without padding', invoiceProfileBody({ logo: { contentType: 'image/png', data: 'iVBORw0KGgo' } }), ['logo.data']],
    ['empty logo data', invoiceProfileBody({ logo: { contentType: 'image/png', data: '' } }), ['logo.data']],
    ['a PNG declared as JPEG', invoiceProfileBody({ logo: logoOf(pngImage(), 'image/jpeg') }), ['logo.data']],
    ['a JPEG declared as PNG', invoiceProfileBody({ logo: logoOf(jpegImage(), 'image/png') }), ['logo.data']],
    ['a text file declared as PNG', invoiceProfileBody({ logo: logoOf(Buffer.from('hello'), 'image/png') }), ['logo.data']],
    ['a damaged PNG', invoiceProfileBody({ logo: logoOf(pngImage().subarray(0, 50)) }), ['logo.data']],
    ['a logo one byte over 256 KiB', invoiceProfileBody({ logo: logoOf(pngOfSize(MAX_LOGO_BYTES + 1)) }), ['logo.data']],
    ['an unknown field in the logo', invoiceProfileBody({ logo: { ...logoOf(pngImage()), width: 10 } }), ['logo.width']],
    ['every wrong field at once', { name: '', address: 'x', taxId: text(65), numberPrefix: '..', logo: logoOf(pngImage(), 'image/jpeg'), extra: 1 }, ['extra', 'logo.data', 'name', 'numberPrefix', 'taxId']],
  ])('refuses %s, naming %j', async (_, body, fields) => {
    const errors = await profileErrors(body);
    expect(errors.map((error) => error.field).sort()).toEqual([...fields].sort());
  });

  it('says what is wrong with a logo, in words', async () => {
    const byField = async (body: Record<string, unknown>) =>
      Object.fromEntries((await profileErrors(body)).map((error) => [error.field, error.messages.join(' ')]));
    await expect(byField(invoiceProfileBody({ logo: logoOf(pngImage(), 'image/jpeg') }))).resolves.toEqual({
      'logo.data': 'data is a PNG image, but contentType says image/jpeg',
    });
    await expect(byField(invoiceProfileBody({ logo: logoOf(pngOfSize(MAX_LOGO_BYTES + 1)) }))).resolves.toEqual({
      'logo.data': `data must decode to at most ${MAX_LOGO_BYTES} bytes (256 KiB); it decodes to ${MAX_LOGO_BYTES + 1}`,
    });
    await expect(byField(invoiceProfileBody({ logo: { contentType: 'image/png', data: '%%%%' } }))).resolves.toEqual({
      'logo.data': 'data must be base64 (standard alphabet, padded)',
    });
  });
});

describe('CreateInvoiceDto seller', () => {
  const seller = () => ({ name: 'Analytical Engines Ltd', address: '1 Difference Lane', taxId: 'GB123456789' });

  it.each<[string, unknown]>([
    ['a seller', seller()],
    ['a seller with logo and footer', { ...seller(), logo: logoOf(jpegImage()), footer: 'Payable within 30 days.' }],
    ['null', null],
  ])('accepts %s', async (_, value) => {
    await expect(validatePayload(JobType.Invoice, invoiceBody({ seller: value }))).resolves.toMatchObject({ valid: true });
  });

  it.each<[string, unknown, string[]]>([
    ['a seller without a name', { ...seller(), name: undefined }, ['seller.name']],
    ['a seller with a number prefix (a profile field)', { ...seller(), numberPrefix: 'X-' }, ['seller.numberPrefix']],
    ['a seller whose logo is a PNG declared as JPEG', { ...seller(), logo: logoOf(pngImage(), 'image/jpeg') }, ['seller.logo.data']],
    ['a seller that is a string', 'Analytical Engines Ltd', ['seller']],
  ])('refuses %s, naming %j', async (_, value, fields) => {
    const check = await validatePayload(JobType.Invoice, invoiceBody({ seller: value }));
    expect(check.valid ? [] : check.errors.map((error) => error.field)).toEqual(fields);
  });
});
