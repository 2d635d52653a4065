import { Injectable } from '@nestjs/common';
import PDFDocument from 'pdfkit';
import { formatMoney } from './money';

export interface InvoiceDocument {
  invoiceId: string;
  orderId: string;
  issuedAt: string;
  currency: string;
  customer: { name: string; email: string; address?: string };
  lines: Array<{ description: string; quantity: number; unitPriceCents: number; totalCents: bigint }>;
  taxRatePercent: number;
  subtotalCents: bigint;
  taxCents: bigint;
  totalCents: bigint;
}

const MARGIN = 50;
const COLUMNS = { description: MARGIN, quantity: 330, unitPrice: 390, total: 475 };
const RIGHT_EDGE = 545;

/** Renders an invoice as an A4 PDF, continuing the line items on further pages as needed. */
@Injectable()
export class InvoicePdfRenderer {
  render(invoice: InvoiceDocument): Promise<Buffer> {
    const doc = new PDFDocument({
      size: 'A4',
      margin: MARGIN,
      info: { Title: `Invoice for order ${invoice.orderId}`, Author: 'Baton', Subject: invoice.invoiceId },
    });
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve, reject) => {
      doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
    });

    doc.font('Helvetica-Bold').fontSize(22).text('INVOICE', MARGIN, MARGIN);
    doc.font('Helvetica').fontSize(10).moveDown(0.5);
    doc.text(`Invoice ${invoice.invoiceId}`);
    doc.text(`Order ${invoice.orderId}`);
    doc.text(`Issued ${invoice.issuedAt}`);
    doc.text(`Currency ${invoice.currency}`);
    doc.moveDown();
    doc.font('Helvetica-Bold').text('Bill to');
    doc.font('Helvetica').text(invoice.customer.name).text(invoice.customer.email);
    if (invoice.customer.address) doc.text(invoice.customer.address, { width: 300 });
    doc.moveDown(1.5);

    let y = this.tableHeader(doc, doc.y);
    for (const line of invoice.lines) {
      const height = doc.heightOfString(line.description, { width: COLUMNS.quantity - COLUMNS.description - 10 }) + 6;
      if (y + height > doc.page.height - MARGIN - 20) {
        doc.addPage();
        y = this.tableHeader(doc, MARGIN);
      }
      doc.font('Helvetica').fontSize(9);
      doc.text(line.description, COLUMNS.description, y, { width: COLUMNS.quantity - COLUMNS.description - 10 });
      doc.text(String(line.quantity), COLUMNS.quantity, y, { width: 50, align: 'right' });
      doc.text(formatMoney(line.unitPriceCents, invoice.currency), COLUMNS.unitPrice, y, { width: 80, align: 'right' });
      doc.text(formatMoney(line.totalCents, invoice.currency), COLUMNS.total, y, { width: RIGHT_EDGE - COLUMNS.total, align: 'right' });
      y += height;
    }

    if (y + 70 > doc.page.height - MARGIN) {
      doc.addPage();
      y = MARGIN;
    }
    doc.moveTo(COLUMNS.unitPrice, y + 4).lineTo(RIGHT_EDGE, y + 4).stroke();
    y += 10;
    y = this.totalRow(doc, y, 'Subtotal', formatMoney(invoice.subtotalCents, invoice.currency), false);
    y = this.totalRow(doc, y, `Tax (${invoice.taxRatePercent}%)`, formatMoney(invoice.taxCents, invoice.currency), false);
    this.totalRow(doc, y, 'Total', formatMoney(invoice.totalCents, invoice.currency), true);

    doc.end();
    return done;
  }

  private tableHeader(doc: PDFKit.PDFDocument, y: number): number {
    doc.font('Helvetica-Bold').fontSize(9);
    doc.text('Description', COLUMNS.description, y);
    doc.text('Qty', COLUMNS.quantity, y, { width: 50, align: 'right' });
    doc.text('Unit price', COLUMNS.unitPrice, y, { width: 80, align: 'right' });
    doc.text('Amount', COLUMNS.total, y, { width: RIGHT_EDGE - COLUMNS.total, align: 'right' });
    doc.moveTo(MARGIN, y + 14).lineTo(RIGHT_EDGE, y + 14).stroke();
    return y + 20;
  }

  private totalRow(doc: PDFKit.PDFDocument, y: number, label: string, amount: string, bold: boolean): number {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(bold ? 11 : 9);
    doc.text(label, COLUMNS.quantity - 60, y, { width: 170, align: 'right' });
    doc.text(amount, COLUMNS.total - 20, y, { width: RIGHT_EDGE - COLUMNS.total + 20, align: 'right' });
    return y + (bold ? 18 : 14);
  }
}
