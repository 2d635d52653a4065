import { Static, Type } from '@sinclair/typebox';
import { InvoiceProfile, LOGO_CONTENT_TYPES, LogoContentType } from '@baton/jobs';
import { Nullable, StringEnum } from '../http/schema-types';

export const InvoiceProfileViewSchema = Type.Object(
  {
    name: Type.String(),
    address: Type.String(),
    taxId: Type.String(),
    logo: Nullable(
      Type.Object(
        { contentType: StringEnum(LOGO_CONTENT_TYPES), data: Type.String({ contentEncoding: 'base64' }) },
        { title: 'InvoiceLogo', additionalProperties: false },
      ),
    ),
    footer: Nullable(Type.String()),
    numberPrefix: Type.String(),
  },
  { title: 'InvoiceProfile', additionalProperties: false, description: 'As PUT takes it: what GET answers can be sent back as it is.' },
);
export type InvoiceProfileView = Static<typeof InvoiceProfileViewSchema>;

/** A profile as PUT takes it, so that what GET answers can be sent back as it is. */
export function invoiceProfileView(profile: InvoiceProfile): InvoiceProfileView {
  return {
    name: profile.name,
    address: profile.address,
    taxId: profile.taxId,
    // Stored from a validated profile: always one of LOGO_CONTENT_TYPES.
    logo: profile.logo && { contentType: profile.logo.contentType as LogoContentType, data: profile.logo.data.toString('base64') },
    footer: profile.footer,
    numberPrefix: profile.numberPrefix,
  };
}
