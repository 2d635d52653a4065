import { orderConfirmationData } from '../../../../test/support/email-fixtures';
import { EMAIL_TEMPLATES, EmailRenderError, renderEmail } from './email-templates';
import { OrderConfirmationData, WelcomeEmailData } from './send-email.dto';
import { orderConfirmationTemplate } from './templates/order-confirmation.template';
import { welcomeTemplate } from './templates/welcome.template';

const HOSTILE = `<script>alert("x")</script> & 'quotes' \`ticks\` =`;

describe('email templates', () => {
  it.each(Object.entries({ welcome: welcomeTemplate, 'order-confirmation': orderConfirmationTemplate }))(
    'writes user data into %s only through escaping {{ }}, never {{{ }}} or {{& }}',
    (_, template) => {
      for (const source of [template.subject, template.html, template.text]) {
        expect(source).not.toContain('{{{');
        expect(source).not.toMatch(/\{\{~?\s*&/);
      }
    },
  );

  it('has a template for every name in EMAIL_TEMPLATES', () => {
    expect(EMAIL_TEMPLATES).toEqual(['welcome', 'order-confirmation']);
  });

  it('refuses a name that is not a template, even one every object has', () => {
    expect(() => renderEmail('toString' as 'welcome', { name: 'Ada' })).toThrow('no email template named "toString"');
  });
});

describe('welcome email', () => {
  it('greets the user by name in the product named, with a button to the action URL', () => {
    const email = renderEmail('welcome', { name: 'Ada', appName: 'Acme', actionUrl: 'https://acme.example/start?step=1' });

    expect(email.subject).toBe('Welcome to Acme, Ada');
    expect(email.html).toContain('<p>Hello Ada,</p>');
    expect(email.html).toContain('Welcome to Acme!');
    expect(email.html).toContain('<a href="https://acme.example/start?step&#x3D;1"');
    expect(email.text).toBe('Hello Ada,\n\nWelcome to Acme! Your account is ready.\n\nGet started: https://acme.example/start?step=1\n');
  });

  it('leaves out the product and the button when the data has neither', () => {
    const email = renderEmail('welcome', { name: 'Ada' });

    expect(email.subject).toBe('Welcome, Ada');
    expect(email.html).not.toContain('<a ');
    expect(email.text).toBe('Hello Ada,\n\nYour account is ready.\n');
  });

  it('escapes the HTML part and leaves the text part as written', () => {
    const email = renderEmail('welcome', { name: HOSTILE, appName: HOSTILE, actionUrl: 'https://acme.example/"><script>x</script>' });

    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27; &#x60;ticks&#x60; &#x3D;');
    expect(email.html).toContain('href="https://acme.example/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(email.text).toContain(`Hello ${HOSTILE},`);
    // The subject is a header, not HTML: written as the user wrote it.
    expect(email.subject).toBe(`Welcome to ${HOSTILE}, ${HOSTILE}`);
  });

  it.each([
    ['CR LF', 'Ada\r\nBcc: victim@example.com'],
    ['a lone LF', 'Ada\nBcc: victim@example.com'],
    ['a lone CR', 'Ada\rBcc: victim@example.com'],
    ['a Unicode line separator', 'Ada\u2028Bcc: victim@example.com'],
    ['a NUL and a vertical tab', 'Ada\u0000\u000bBcc: victim@example.com'],
  ])('keeps the subject on one line when the name holds %s', (_, name) => {
    const { subject } = renderEmail('welcome', { name });

    expect(subject).toBe('Welcome, Ada Bcc: victim@example.com');
  });

  it.each(['javascript:alert(1)', 'http://acme.example/start', 'data:text/html,hi'])('refuses to link to %s', (actionUrl) => {
    expect(() => renderEmail('welcome', { name: 'Ada', actionUrl })).toThrow(EmailRenderError);
  });

  it('refuses data without a name rather than greeting nobody', () => {
    expect(() => renderEmail('welcome', {} as WelcomeEmailData)).toThrow(new EmailRenderError('welcome', 'name is missing'));
  });
});

describe('order confirmation email', () => {
  it('lists each item with its amount and a total computed from the items', () => {
    const email = renderEmail('order-confirmation', orderConfirmationData());

    expect(email.subject).toBe('Your order A-1042 is confirmed');
    expect(email.text).toBe(
      [
        'Hello Ada Lovelace,',
        '',
        'Thank you for your order A-1042. This is what you ordered:',
        '',
        '1 x Annual plan at €99.00: €99.00',
        '3 x Extra seat at €19.99: €59.97',
        '',
        'Total: €158.97',
        '',
      ].join('\n'),
    );
    expect(email.html).toContain('<td>Extra seat</td><td style="text-align:right;">3</td><td style="text-align:right;">€19.99</td><td style="text-align:right;">€59.97</td>');
    expect(email.html).toContain('<th style="text-align:right;">€158.97</th>');
  });

  it.each<[string, string, string]>([
    ['JPY, which has no minor unit', 'JPY', '¥1,234'],
    // Intl puts a no-break space between a currency code and the amount.
    ['BHD, which has three decimals', 'BHD', 'BHD\u00a01.234'],
    ['USD', 'USD', '$12.34'],
  ])('writes amounts in %s', (_, currency, written) => {
    const email = renderEmail('order-confirmation', orderConfirmationData({ currency, items: [{ description: 'Tea', quantity: 1, unitPriceCents: 1234 }] }));

    expect(email.text).toContain(`Total: ${written}\n`);
  });

  it('adds up exactly beyond what a JavaScript number holds', () => {
    // 99 lines of 100,000 x 10,000,000.00 EUR and one of 0.01 EUR: 9,900,000,000,000,001 cents, odd and above 2^53.
    const bulk = Array.from({ length: 99 }, () => ({ description: 'Bulk', quantity: 100_000, unitPriceCents: 1_000_000_000 }));
    const email = renderEmail('order-confirmation', orderConfirmationData({ items: [...bulk, { description: 'Sweet', quantity: 1, unitPriceCents: 1 }] }));

    expect(email.text).toContain('100,000 x Bulk at €10,000,000.00: €1,000,000,000,000.00\n');
    expect(email.text).toContain('Total: €99,000,000,000,000.01\n');
  });

  it('writes a note line by line: <br> between the lines in HTML, as written in text', () => {
    const email = renderEmail('order-confirmation', orderConfirmationData({ note: 'Leave it at the door.\r\nThe <blue> one.' }));

    expect(email.html).toContain('<p>Leave it at the door.<br>The &lt;blue&gt; one.</p>');
    expect(email.text).toContain('Total: €158.97\n\nLeave it at the door.\nThe <blue> one.\n');
  });

  it('escapes item descriptions in the HTML part', () => {
    const email = renderEmail('order-confirmation', orderConfirmationData({ items: [{ description: HOSTILE, quantity: 1, unitPriceCents: 1 }] }));

    expect(email.html).not.toContain('<script>');
    expect(email.text).toContain(`1 x ${HOSTILE} at €0.01: €0.01`);
  });

  it('names a missing field of an item', () => {
    const items = [{ description: 'Tea', quantity: 1, unitPriceCents: 100 }, { quantity: 1, unitPriceCents: 100 }] as OrderConfirmationData['items'];

    expect(() => renderEmail('order-confirmation', orderConfirmationData({ items }))).toThrow(new EmailRenderError('order-confirmation', 'items.1.description is missing'));
  });
});
