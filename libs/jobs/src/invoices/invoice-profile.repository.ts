import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { connected, EffectSql } from '@baton/persistence';

/** A tenant's seller and the prefix of its invoice numbers. */
export interface InvoiceProfile {
  name: string;
  address: string;
  taxId: string;
  logo: { contentType: string; data: Buffer } | null;
  footer: string | null;
  numberPrefix: string;
}

interface ProfileRow {
  name: string;
  address: string;
  tax_id: string;
  logo_content_type: string | null;
  logo: Buffer | null;
  footer: string | null;
  number_prefix: string;
}

const PROFILE_COLUMNS = 'name, address, tax_id, logo_content_type, logo, footer, number_prefix';

const toProfile = (row: ProfileRow): InvoiceProfile => ({
  name: row.name,
  address: row.address,
  taxId: row.tax_id,
  logo: row.logo && row.logo_content_type ? { contentType: row.logo_content_type, data: row.logo } : null,
  footer: row.footer,
  numberPrefix: row.number_prefix,
});

/**
 * The tenant's profile, read through `sql`: an invoice's transaction reads
 * it on its own connection, never from the pool, where a process with few
 * connections (one, embedded) could wait for itself.
 */
export async function findInvoiceProfile(sql: EffectSql, tenant: string): Promise<InvoiceProfile | null> {
  const [row] = await sql.query<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM invoice_profiles WHERE tenant = $1`, [tenant]);
  return row ? toProfile(row) : null;
}

/** Invoice profiles for the API: one per tenant, which only that tenant's keys read or replace. */
@Injectable()
export class InvoiceProfileRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Stores the tenant's profile, replacing any it had; returns it as stored. */
  async put(tenant: string, profile: InvoiceProfile): Promise<InvoiceProfile> {
    const [row] = await connected(this.dataSource).query(
      `INSERT INTO invoice_profiles (tenant, name, address, tax_id, logo_content_type, logo, footer, number_prefix)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant) DO UPDATE SET
         name = EXCLUDED.name, address = EXCLUDED.address, tax_id = EXCLUDED.tax_id,
         logo_content_type = EXCLUDED.logo_content_type, logo = EXCLUDED.logo, footer = EXCLUDED.footer,
         number_prefix = EXCLUDED.number_prefix, updated_at = now()
       RETURNING ${PROFILE_COLUMNS}`,
      [
        tenant,
        profile.name,
        profile.address,
        profile.taxId,
        profile.logo?.contentType ?? null,
        profile.logo?.data ?? null,
        profile.footer,
        profile.numberPrefix,
      ],
    );
    return toProfile(row as ProfileRow);
  }

  /** The tenant's profile; null when it has none. */
  find(tenant: string): Promise<InvoiceProfile | null> {
    return findInvoiceProfile({ query: (text, values) => connected(this.dataSource).query(text, values) }, tenant);
  }
}
