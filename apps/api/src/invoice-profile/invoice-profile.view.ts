import { InvoiceProfile } from '@baton/jobs';

/** A profile as PUT takes it, so that what GET answers can be sent back as it is. */
export function invoiceProfileView(profile: InvoiceProfile) {
  return {
    name: profile.name,
    address: profile.address,
    taxId: profile.taxId,
    logo: profile.logo && { contentType: profile.logo.contentType, data: profile.logo.data.toString('base64') },
    footer: profile.footer,
    numberPrefix: profile.numberPrefix,
  };
}
