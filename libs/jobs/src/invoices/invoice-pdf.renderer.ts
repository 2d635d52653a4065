import { Injectable } from '@nestjs/common';
import PDFDocument from 'pdfkit';
import { InvoiceFonts, invoiceFonts } from './invoice-fonts';
import { formatMoney } from './money';
import { printableText } from './printable-text';

/** The seller block as printed, with the logo's bytes (a PNG or JPEG image checked when it was accepted). */
export interface PrintedSeller {
  name: string;
  address: string;
  taxId: string;
  footer?: string;
  logo?: Buffer;
}

export interface InvoiceDocument {
  invoiceId: string;
  /** `INV-2026-000042`: printed, and the document's Title. */
  number: string;
  orderId: string;
  issuedAt: string;
  currency: string;
  seller: PrintedSeller | null;
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
/** The logo is scaled to fit this box at the top right, keeping its proportions. */
const LOGO_BOX = { x: 345, y: MARGIN, width: RIGHT_EDGE - 345, height: 70 };
/** The two party blocks, seller ("From") and customer ("Bill to"), side by side. */
const PARTIES = { from: MARGIN, billTo: 310, width: 235 };
const HEADER_WIDTH = LOGO_BOX.x - MARGIN - 15;

const REGULAR = 'DejaVuSans';
const BOLD = 'DejaVuSans-Bold';

/**
 * Renders an invoice as an A4 PDF, continuing the line items on further
 * pages as needed. Text is set in DejaVu Sans, embedded (subset), so that
 * the page and its text layer carry the exact characters; what the font or
 * the layout cannot show is printed as U+FFFD (see printableText).
 */
@Injectable()
export class InvoicePdfRenderer {
  // Read at construction, so that a build without its fonts fails at start, not on the first invoice.
  private readonly fonts: InvoiceFonts = invoiceFonts();

  render(invoice: InvoiceDocument): Promise<Buffer> {
    const doc = new PDFDocument({
      size: 'A4',
      margin: MARGIN,
      info: { Title: invoice.number, Author: 'Baton', Subject: invoice.invoiceId },
    });
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve, reject) => {
      doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
    });
    doc.registerFont(REGULAR, this.fonts.regular);
    doc.registerFont(BOLD, this.fonts.bold);
    const print = (text: string): string => printableText(text, this.fonts.hasGlyph);
    const { seller } = invoice;

    let logoBottom = MARGIN;
    if (seller?.logo) {
      doc.image(seller.logo, LOGO_BOX.x, LOGO_BOX.y, { fit: [LOGO_BOX.width, LOGO_BOX.height], align: 'right' });
      logoBottom = LOGO_BOX.y + LOGO_BOX.height;
    }
    doc.font(BOLD).fontSize(22).text('INVOICE', MARGIN, MARGIN, { width: HEADER_WIDTH });
    doc.fontSize(11).moveDown(0.3).text(invoice.number, { width: HEADER_WIDTH });
    doc.font(REGULAR).fontSize(10).moveDown(0.3);
    doc.text(`Issued ${invoice.issuedAt}`, { width: HEADER_WIDTH });
    doc.text(`Order ${print(invoice.orderId)}`, { width: HEADER_WIDTH });
    doc.text(`Currency ${invoice.currency}`, { width: HEADER_WIDTH });
    doc.fontSize(8).text(`Invoice ID ${invoice.invoiceId}`, { width: HEADER_WIDTH });

    const partiesTop = Math.max(doc.y, logoBottom) + 20;
    let partiesBottom = partiesTop;
    let billTo = MARGIN;
    if (seller) {
      doc.font(BOLD).fontSize(10).text('From', PARTIES.from, partiesTop, { width: PARTIES.width });
      doc.font(REGULAR).text(print(seller.name), { width: PARTIES.width });
      doc.text(print(seller.address), { width: PARTIES.width });
      doc.text(`Tax ID ${print(seller.taxId)}`, { width: PARTIES.width });
      partiesBottom = doc.y;
      billTo = PARTIES.billTo;
    }
    doc.font(BOLD).fontSize(10).text('Bill to', billTo, partiesTop, { width: PARTIES.width });
    doc.font(REGULAR).text(print(invoice.customer.name), { width: PARTIES.width });
    doc.text(print(invoice.customer.email), { width: PARTIES.width });
    if (invoice.customer.address) doc.text(print(invoice.customer.address), { width: PARTIES.width });
    partiesBottom = Math.max(partiesBottom, doc.y);

    let y = this.tableHeader(doc, partiesBottom + 25);
    for (const line of invoice.lines) {
      const description = print(line.description);
      doc.font(REGULAR).fontSize(9);
      const height = doc.heightOfString(description, { width: COLUMNS.quantity - COLUMNS.description - 10 }) + 6;
      if (y + height > doc.page.height - MARGIN - 20) {
        doc.addPage();
        y = this.tableHeader(doc, MARGIN);
        doc.font(REGULAR).fontSize(9);
      }
      doc.text(description, COLUMNS.description, y, { width: COLUMNS.quantity - COLUMNS.description - 10 });
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
    y = this.totalRow(doc, y, 'Total', formatMoney(invoice.totalCents, invoice.currency), true);

    if (seller?.footer) {
      const footer = print(seller.footer);
      doc.font(REGULAR).fontSize(9);
      y += 25;
      if (y + doc.heightOfString(footer, { width: RIGHT_EDGE - MARGIN }) > doc.page.height - MARGIN) {
        doc.addPage();
        y = MARGIN;
      }
      doc.text(footer, MARGIN, y, { width: RIGHT_EDGE - MARGIN });
    }

    doc.end();
    return done;
  }

  private tableHeader(doc: PDFKit.PDFDocument, y: number): number {
    doc.font(BOLD).fontSize(9);
    doc.text('Description', COLUMNS.description, y);
    doc.text('Qty', COLUMNS.quantity, y, { width: 50, align: 'right' });
    doc.text('Unit price', COLUMNS.unitPrice, y, { width: 80, align: 'right' });
    doc.text('Amount', COLUMNS.total, y, { width: RIGHT_EDGE - COLUMNS.total, align: 'right' });
    doc.moveTo(MARGIN, y + 14).lineTo(RIGHT_EDGE, y + 14).stroke();
    return y + 20;
  }

  private totalRow(doc: PDFKit.PDFDocument, y: number, label: string, amount: string, bold: boolean): number {
    doc.font(bold ? BOLD : REGULAR).fontSize(bold ? 11 : 9);
    doc.text(label, COLUMNS.quantity - 60, y, { width: 170, align: 'right' });
    doc.text(amount, COLUMNS.total - 20, y, { width: RIGHT_EDGE - COLUMNS.total + 20, align: 'right' });
    return y + (bold ? 18 : 14);
  }
}
