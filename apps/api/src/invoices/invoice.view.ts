import { invoicePdfLocation } from '@baton/contracts';
import { InvoiceEntity } from '@baton/jobs';

export function invoiceView(invoice: InvoiceEntity) {
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
