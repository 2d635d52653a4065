import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, OneToOne, PrimaryColumn, Relation } from 'typeorm';
import { bigintAsNumber } from '@baton/persistence';

/** The seller block an invoice was printed with, kept as printed whatever its profile becomes (the logo's bytes are not kept). */
export interface InvoiceSeller {
  name: string;
  address: string;
  taxId: string;
  footer?: string;
}

@Entity({ name: 'invoices' })
@Index('invoices_tenant_number_uq', ['tenant', 'number'], { unique: true })
export class InvoiceEntity {
  @PrimaryColumn('uuid')
  id: string;

  /**
   * Unique: one invoice per job, whatever the number of deliveries. No
   * foreign key: the invoice is the user's and outlives its job, which
   * retention deletes once finished.
   */
  @Column('uuid', { name: 'job_id', unique: true })
  jobId: string;

  /** The tenant of the job that created it. */
  @Column('text')
  tenant: string;

  /** `INV-2026-000042`: unique per tenant. Null for invoices stored before invoices were numbered. */
  @Column('text', { nullable: true })
  number: string | null;

  /** Null when the invoice was printed without a seller (no profile, no `seller` in the request). */
  @Column('jsonb', { nullable: true })
  seller: InvoiceSeller | null;

  /** The logo the seller block was printed with (invoice_logos.sha256); null without one. */
  @Column('bytea', { name: 'seller_logo', nullable: true })
  sellerLogo: Buffer | null;

  @ManyToOne(() => InvoiceLogoEntity)
  @JoinColumn({ name: 'seller_logo', referencedColumnName: 'sha256', foreignKeyConstraintName: 'invoices_seller_logo_fk' })
  sellerLogoImage?: Relation<InvoiceLogoEntity>;

  @Column('varchar', { name: 'order_id', length: 64 })
  orderId: string;

  @Column('varchar', { name: 'customer_name', length: 200 })
  customerName: string;

  @Column('varchar', { name: 'customer_email', length: 320 })
  customerEmail: string;

  @Column('varchar', { name: 'customer_address', length: 500, nullable: true })
  customerAddress: string | null;

  @Column('char', { length: 3 })
  currency: string;

  @Column('numeric', { name: 'tax_rate_percent', precision: 7, scale: 4, transformer: { to: (v) => v, from: (v: string) => Number(v) } })
  taxRatePercent: number;

  @Column('date', { name: 'issued_at' })
  issuedAt: string;

  @Column('bigint', { name: 'subtotal_cents', transformer: bigintAsNumber })
  subtotalCents: number;

  @Column('bigint', { name: 'tax_cents', transformer: bigintAsNumber })
  taxCents: number;

  @Column('bigint', { name: 'total_cents', transformer: bigintAsNumber })
  totalCents: number;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @OneToMany(() => InvoiceLineEntity, (line) => line.invoice)
  lines?: Relation<InvoiceLineEntity[]>;

  @OneToOne(() => InvoicePdfEntity, (pdf) => pdf.invoice)
  pdf?: Relation<InvoicePdfEntity>;
}

@Entity({ name: 'invoice_lines' })
export class InvoiceLineEntity {
  @PrimaryColumn('uuid', { name: 'invoice_id' })
  invoiceId: string;

  @PrimaryColumn('integer')
  position: number;

  @ManyToOne(() => InvoiceEntity, (invoice) => invoice.lines, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'invoice_id', foreignKeyConstraintName: 'invoice_lines_invoice_id_fk' })
  invoice?: Relation<InvoiceEntity>;

  @Column('varchar', { length: 500 })
  description: string;

  @Column('integer')
  quantity: number;

  @Column('bigint', { name: 'unit_price_cents', transformer: bigintAsNumber })
  unitPriceCents: number;

  @Column('bigint', { name: 'total_cents', transformer: bigintAsNumber })
  totalCents: number;
}

/** The rendered document, apart from the invoice so that reading an invoice does not load its PDF. */
@Entity({ name: 'invoice_pdfs' })
export class InvoicePdfEntity {
  @PrimaryColumn('uuid', { name: 'invoice_id' })
  invoiceId: string;

  @OneToOne(() => InvoiceEntity, (invoice) => invoice.pdf, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'invoice_id', foreignKeyConstraintName: 'invoice_pdfs_invoice_id_fk' })
  invoice?: Relation<InvoiceEntity>;

  @Column('bytea')
  content: Buffer;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}

/**
 * A logo invoices were printed with, kept once per image whatever becomes
 * of the profile it came from, so that an invoice rendered again (its job
 * retried after it was numbered) shows the same one.
 */
@Entity({ name: 'invoice_logos' })
export class InvoiceLogoEntity {
  @PrimaryColumn('bytea', { primaryKeyConstraintName: 'invoice_logos_pkey' })
  sha256: Buffer;

  /** `image/png` or `image/jpeg`. */
  @Column('text', { name: 'content_type' })
  contentType: string;

  @Column('bytea')
  data: Buffer;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}

/**
 * The last invoice number a tenant took in a year. Taken and stored in the
 * transaction that stores the invoice, so that a rolled-back attempt gives
 * its number back: numbers have no gaps and no repeats.
 */
@Entity({ name: 'invoice_number_counters' })
export class InvoiceNumberCounterEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'invoice_number_counters_pkey' })
  tenant: string;

  @PrimaryColumn('integer', { primaryKeyConstraintName: 'invoice_number_counters_pkey' })
  year: number;

  @Column('integer', { name: 'last_value' })
  lastValue: number;
}
