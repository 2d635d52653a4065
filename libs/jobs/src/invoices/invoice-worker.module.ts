import { Module } from '@nestjs/common';
import { InvoicePdfRenderer } from './invoice-pdf.renderer';
import { InvoiceService } from './invoice.service';
import { RenderInvoiceHandler } from './render-invoice.handler';

@Module({ controllers: [RenderInvoiceHandler], providers: [InvoiceService, InvoicePdfRenderer] })
export class InvoiceWorkerModule {}
