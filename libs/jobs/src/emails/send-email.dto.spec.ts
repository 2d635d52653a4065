import 'reflect-metadata';
import { FieldError, validateBody } from '@baton/contracts';
import { orderConfirmationBody, welcomeEmailBody } from '../../../../test/support/email-fixtures';
import { OrderConfirmationData, OrderItemData, SendEmailDto, WelcomeEmailData } from './send-email.dto';

const text = (length: number, char = 'x'): string => char.repeat(length);

const item = { description: 'Tea', quantity: 1, unitPriceCents: 100 };

async function errorsOf(body: unknown): Promise<FieldError[]> {
  const check = await validateBody(SendEmailDto, body);
  return check.valid ? [] : check.errors;
}

describe(SendEmailDto.name, () => {
  it('accepts a welcome email and gives its data the welcome class', async () => {
    const check = await validateBody(SendEmailDto, welcomeEmailBody());
    if (!check.valid) throw new Error(JSON.stringify(check.errors));

    expect(check.payload).toBeInstanceOf(SendEmailDto);
    expect(check.payload.data).toBeInstanceOf(WelcomeEmailData);
    expect(check.payload).toMatchObject({ to: 'ada@example.com', template: 'welcome', data: { name: 'Ada', appName: 'Acme' } });
  });

  it('accepts an order confirmation and gives its data and items their classes', async () => {
    const check = await validateBody(SendEmailDto, orderConfirmationBody({}, { invoiceId: '0b5c3f4e-8a1d-4c2b-9e7f-1a2b3c4d5e6f' }));
    if (!check.valid) throw new Error(JSON.stringify(check.errors));

    expect(check.payload.data).toBeInstanceOf(OrderConfirmationData);
    expect((check.payload.data as OrderConfirmationData).items[1]).toBeInstanceOf(OrderItemData);
    expect(check.payload.invoiceId).toBe('0b5c3f4e-8a1d-4c2b-9e7f-1a2b3c4d5e6f');
  });

  it.each<[string, Record<string, unknown>]>([
    ['a welcome email with a name only', welcomeEmailBody({ appName: undefined, actionUrl: undefined })],
    ['the longest name, product name and action URL', welcomeEmailBody({ name: text(200), appName: text(100), actionUrl: `https://acme.example/${text(2027)}` })],
    ['a 200-character name of emoji with variation selectors', welcomeEmailBody({ name: '❤️'.repeat(100) })],
    ['an address of 254 characters', welcomeEmailBody({}, { to: `${text(64)}@${text(63)}.${text(63)}.${text(57)}.com` })],
    ['an address with plus and dots', welcomeEmailBody({}, { to: 'ada.lovelace+orders@mail.example.co.uk' })],
    ['an order of 100 items', orderConfirmationBody({ items: Array.from({ length: 100 }, () => item) })],
    ['an order in JPY without a note', orderConfirmationBody({ currency: 'JPY', note: undefined })],
    ['the largest quantity and unit price', orderConfirmationBody({ items: [{ description: text(200), quantity: 100_000, unitPriceCents: 1_000_000_000 }] })],
    ['a note of 2,000 characters with tabs and line breaks', orderConfirmationBody({ note: `${text(1000)}\t\r\n${text(997)}` })],
  ])('accepts %s', async (_, body) => {
    expect(await errorsOf(body)).toEqual([]);
  });

  it('answers an unknown template on `template` alone, whatever the data', async () => {
    for (const template of ['password-reset', 'toString', 'constructor', '__proto__', 7, null]) {
      expect(await errorsOf(welcomeEmailBody({ surprise: true }, { template }))).toEqual([
        { field: 'template', messages: ['template must be one of welcome, order-confirmation'] },
      ]);
    }
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    // to
    ['a display name', welcomeEmailBody({}, { to: 'Ada <ada@example.com>' }), ['to']],
    ['a list of addresses', welcomeEmailBody({}, { to: 'ada@example.com, bob@example.com' }), ['to']],
    ['a second address after a semicolon', welcomeEmailBody({}, { to: 'ada@example.com;bob@example.com' }), ['to']],
    ['a header after a line break', welcomeEmailBody({}, { to: 'ada@example.com\r\nBcc: eve@example.com' }), ['to']],
    ['a quoted local part', welcomeEmailBody({}, { to: '"ada lovelace"@example.com' }), ['to']],
    ['an IP literal', welcomeEmailBody({}, { to: 'ada@[192.0.2.1]' }), ['to']],
    ['no address at all', welcomeEmailBody({}, { to: 'ada' }), ['to']],
    ['an address of 255 characters', welcomeEmailBody({}, { to: `${text(64)}@${text(63)}.${text(63)}.${text(58)}.com` }), ['to']],
    ['no recipient', welcomeEmailBody({}, { to: undefined }), ['to']],
    // template and data
    ['no template', welcomeEmailBody({}, { template: undefined }), ['template']],
    ['no data', welcomeEmailBody({}, { data: undefined }), ['data']],
    ['data that is a string', welcomeEmailBody({}, { data: 'Ada' }), ['data']],
    ['data that is an array', welcomeEmailBody({}, { data: [{ name: 'Ada' }] }), ['data']],
    ['order data for a welcome email', welcomeEmailBody({}, { data: orderConfirmationBody().data }), ['data.orderNumber', 'data.currency', 'data.items', 'data.note']],
    // welcome data
    ['a welcome email without a name', welcomeEmailBody({ name: undefined }), ['data.name']],
    ['an empty name', welcomeEmailBody({ name: '' }), ['data.name']],
    ['a name of 201 characters', welcomeEmailBody({ name: text(201) }), ['data.name']],
    ['a name with a line break', welcomeEmailBody({ name: 'Ada\r\nBcc: eve@example.com' }), ['data.name']],
    ['a name with a Unicode line separator', welcomeEmailBody({ name: 'Ada\u2028Lovelace' }), ['data.name']],
    ['a product name of 101 characters', welcomeEmailBody({ appName: text(101) }), ['data.appName']],
    ['an http:// action URL', welcomeEmailBody({ actionUrl: 'http://acme.example/start' }), ['data.actionUrl']],
    ['a javascript: action URL', welcomeEmailBody({ actionUrl: 'javascript:alert(1)' }), ['data.actionUrl']],
    ['credentials in the action URL', welcomeEmailBody({ actionUrl: 'https://ada:secret@acme.example/start' }), ['data.actionUrl']],
    ['an action URL of 2,049 characters', welcomeEmailBody({ actionUrl: `https://acme.example/${text(2028)}` }), ['data.actionUrl']],
    ['a field the template does not take', welcomeEmailBody({ total: 100 }), ['data.total']],
    // order confirmation data
    ['no order number', orderConfirmationBody({ orderNumber: undefined }), ['data.orderNumber']],
    ['an order number of 65 characters', orderConfirmationBody({ orderNumber: text(65) }), ['data.orderNumber']],
    ['a lower-case currency', orderConfirmationBody({ currency: 'eur' }), ['data.currency']],
    ['a currency that does not exist', orderConfirmationBody({ currency: 'XYZ' }), ['data.currency']],
    ['no items', orderConfirmationBody({ items: [] }), ['data.items']],
    ['101 items', orderConfirmationBody({ items: Array.from({ length: 101 }, () => item) }), ['data.items']],
    ['an item that is not an object', orderConfirmationBody({ items: [item, 'tea'] }), ['data.items', 'data.items.1']],
    ['a quantity of 0', orderConfirmationBody({ items: [item, { ...item, quantity: 0 }] }), ['data.items.1.quantity']],
    ['a fractional quantity', orderConfirmationBody({ items: [{ ...item, quantity: 1.5 }] }), ['data.items.0.quantity']],
    ['a quantity over 100,000', orderConfirmationBody({ items: [{ ...item, quantity: 100_001 }] }), ['data.items.0.quantity']],
    ['a price as a decimal string', orderConfirmationBody({ items: [{ ...item, unitPriceCents: '1.00' }] }), ['data.items.0.unitPriceCents']],
    ['a negative price', orderConfirmationBody({ items: [{ ...item, unitPriceCents: -1 }] }), ['data.items.0.unitPriceCents']],
    ['an item without a description', orderConfirmationBody({ items: [{ quantity: 1, unitPriceCents: 1 }] }), ['data.items.0.description']],
    ['a description with a line break', orderConfirmationBody({ items: [{ ...item, description: 'Tea\nBcc: eve@example.com' }] }), ['data.items.0.description']],
    ['a total of its own (the email computes it)', orderConfirmationBody({ total: 100 }), ['data.total']],
    ['a note of 2,001 characters', orderConfirmationBody({ note: text(2001) }), ['data.note']],
    ['a note with a control character', orderConfirmationBody({ note: 'ring the bell\u0007' }), ['data.note']],
    // the rest
    ['an invoice id that is not a UUID', orderConfirmationBody({}, { invoiceId: 'invoice-1' }), ['invoiceId']],
    ['a field the body does not take', welcomeEmailBody({}, { cc: 'eve@example.com' }), ['cc']],
  ])('refuses %s, naming the field', async (_, body, fields) => {
    expect((await errorsOf(body)).map((error) => error.field)).toEqual(fields);
  });

  it('says what is wrong with a field', async () => {
    const errors = await errorsOf(orderConfirmationBody({ items: [item, { ...item, quantity: 0 }], total: 1 }, { to: 'Ada <ada@example.com>' }));

    expect(errors).toEqual([
      { field: 'to', messages: ['to must be a valid email address', 'to must be one email address, without a name, angle brackets or a second address'] },
      { field: 'data.total', messages: ['is not allowed'] },
      { field: 'data.items.1.quantity', messages: ['quantity must not be less than 1'] },
    ]);
  });
});
