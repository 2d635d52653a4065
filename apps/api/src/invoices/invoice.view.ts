import { Static, Type } from '@sinclair/typebox';
import { invoicePdfLocation } from '@baton/contracts';
import { InvoiceEntity } from '@baton/jobs';
import { Nullable, Timestamp, Uuid } from '../http/schema-types';

export const InvoiceViewSchema = Type.Object(
  {
    id: Uuid(),
    jobId: Uuid(),
    number: Nullable(Type.String({ description: 'Gapless per tenant and year; null for an invoice stored before numbers.' })),
    orderId: Type.String(),
    seller: Nullable(
      Type.Object(
        { name: Type.String(), address: Type.String(), taxId: Type.String(), footer: Nullable(Type.String()) },
        { title: 'InvoiceSeller', additionalProperties: false, description: 'Who issued it, as printed; null when the tenant had no profile.' },
      ),
    ),
    customer: Type.Object(
      { name: Type.String(), email: Type.String(), address: Nullable(Type.String()) },
      { title: 'InvoiceCustomer', additionalProperties: false },
    ),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    issuedAt: Type.String({ format: 'date' }),
    lines: Type.Array(
      Type.Object(
        { description: Type.String(), quantity: Type.Integer(), unitPriceCents: Type.Integer(), totalCents: Type.Integer() },
        { title: 'InvoiceLine', additionalProperties: false },
      ),
    ),
    subtotalCents: Type.Integer(),
    taxRatePercent: Type.Number(),
    taxCents: Type.Integer(),
    totalCents: Type.Integer(),
    pdfUrl: Type.String({ description: 'Where to read its PDF: `/v1/invoices/<id>/pdf`.' }),
    createdAt: Timestamp(),
  },
  { title: 'Invoice', additionalProperties: false },
);
export type InvoiceView = Static<typeof InvoiceViewSchema>;

export function invoiceView(invoice: InvoiceEntity): InvoiceView {
  return {
    id: invoice.id,
    jobId: invoice.jobId,
    number: invoice.number,
    orderId: invoice.orderId,
    seller: invoice.seller && {
      name: invoice.seller.name,
      address: invoice.seller.address,
      taxId: invoice.seller.taxId,
      footer: invoice.seller.footer ?? null,
    },
    customer: { name: invoice.customerName, email: invoice.customerEmail, address: invoice.customerAddress },
    currency: invoice.currency,
    issuedAt: invoice.issuedAt,
    lines: (invoice.lines ?? []).map((line) => ({
      description: line.description,
      quantity: line.quantity,
      unitPriceCents: line.unitPriceCents,
      totalCents: line.totalCents,
    })),
    subtotalCents: invoice.subtotalCents,
    taxRatePercent: invoice.taxRatePercent,
    taxCents: invoice.taxCents,
    totalCents: invoice.totalCents,
    pdfUrl: invoicePdfLocation(invoice.id),
    createdAt: invoice.createdAt.toISOString(),
  };
}
