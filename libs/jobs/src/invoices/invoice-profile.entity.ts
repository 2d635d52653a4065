import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A tenant's seller, printed on each of its invoices, and the prefix of its
 * invoice numbers. Text columns without a length: the API bounds each field,
 * counting characters as class-validator does, which PostgreSQL's varchar
 * does not always agree with.
 */
@Entity({ name: 'invoice_profiles' })
export class InvoiceProfileEntity {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'invoice_profiles_pkey' })
  tenant: string;

  @Column('text')
  name: string;

  @Column('text')
  address: string;

  @Column('text', { name: 'tax_id' })
  taxId: string;

  /** `image/png` or `image/jpeg`; null with `logo`. */
  @Column('text', { name: 'logo_content_type', nullable: true })
  logoContentType: string | null;

  @Column('bytea', { nullable: true })
  logo: Buffer | null;

  @Column('text', { nullable: true })
  footer: string | null;

  @Column('text', { name: 'number_prefix' })
  numberPrefix: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
