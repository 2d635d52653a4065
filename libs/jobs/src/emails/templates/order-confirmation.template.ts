import type { EmailTemplateSource } from '../email-templates';
import type { OrderConfirmationData } from '../send-email.dto';
import { htmlDocument } from './email-layout';

// The language the amounts are written in, as the rest of the email is.
const LOCALE = 'en';

/**
 * Confirms an order: its number, each item with its quantity, unit price and
 * line total, and the total, computed here from the items (integer minor
 * units, exact) rather than taken from the sender, so the email cannot show
 * a total its lines do not add up to.
 */
export const orderConfirmationTemplate: EmailTemplateSource<OrderConfirmationData> = {
  subject: 'Your order {{orderNumber}} is confirmed',

  html: htmlDocument(
    'Order confirmation',
    `<p>Hello {{name}},</p>
<p>Thank you for your order <strong>{{orderNumber}}</strong>. This is what you ordered:</p>
<table role="presentation" cellpadding="6" cellspacing="0" style="border-collapse:collapse;width:100%;max-width:640px;">
<thead>
<tr style="border-bottom:1px solid #cbd2d9;text-align:left;">
<th>Item</th><th style="text-align:right;">Quantity</th><th style="text-align:right;">Unit price</th><th style="text-align:right;">Amount</th>
</tr>
</thead>
<tbody>
{{#each items}}
<tr style="border-bottom:1px solid #e4e7eb;">
<td>{{description}}</td><td style="text-align:right;">{{quantity}}</td><td style="text-align:right;">{{unitPrice}}</td><td style="text-align:right;">{{amount}}</td>
</tr>
{{/each}}
</tbody>
<tfoot>
<tr>
<th colspan="3" style="text-align:right;">Total</th><th style="text-align:right;">{{total}}</th>
</tr>
</tfoot>
</table>
{{#if noteLines}}
<p>{{#each noteLines}}{{this}}{{#unless @last}}<br>{{/unless}}{{/each}}</p>
{{/if}}
`,
  ),

  text: `Hello {{name}},

Thank you for your order {{orderNumber}}. This is what you ordered:

{{#each items}}
{{quantity}} x {{description}} at {{unitPrice}}: {{amount}}
{{/each}}

Total: {{total}}
{{#if noteLines}}

{{#each noteLines}}
{{this}}
{{/each}}
{{/if}}
`,

  view: (data) => {
    const money = moneyFormat(data.currency);
    const count = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
    const amounts = data.items.map((item) => BigInt(item.quantity) * BigInt(item.unitPriceCents));
    return {
      name: data.name,
      orderNumber: data.orderNumber,
      items: data.items.map((item, index) => ({
        description: item.description,
        quantity: count.format(item.quantity),
        unitPrice: money(BigInt(item.unitPriceCents)),
        amount: money(amounts[index]),
      })),
      total: money(amounts.reduce((sum, amount) => sum + amount, 0n)),
      noteLines: data.note ? data.note.split(/\r\n|\r|\n/) : null,
    };
  },
};

/**
 * Writes an amount in minor units (cents for EUR, yen for JPY, fils for BHD)
 * in `currency`. The amount goes to Intl as a decimal string, which it
 * formats exactly (ECMA-402 since 2023, Node.js 20); a number would lose
 * cents above 2^53 / 100.
 */
function moneyFormat(currency: string): (minorUnits: bigint) => string {
  const format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
  // The currency's own minor unit (2 for EUR, 0 for JPY, 3 for BHD), as ICU knows it.
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const scale = 10n ** BigInt(digits);
  // TypeScript's ES2022 lib declares format(number | bigint) only; Intl takes a decimal string as well.
  const formatDecimal = format.format as unknown as (decimal: string) => string;
  return (minorUnits) => {
    const sign = minorUnits < 0n ? '-' : '';
    const magnitude = minorUnits < 0n ? -minorUnits : minorUnits;
    const fraction = digits > 0 ? `.${(magnitude % scale).toString().padStart(digits, '0')}` : '';
    return formatDecimal(`${sign}${magnitude / scale}${fraction}`);
  };
}
