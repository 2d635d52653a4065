import { Body, Controller, Get, NotFoundException, Put } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { DEFAULT_INVOICE_NUMBER_PREFIX, InvoiceProfileDto, InvoiceProfileRepository } from '@baton/jobs';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyPipe } from '../http/payload.pipe';
import { InvoiceProfileView, invoiceProfileView, InvoiceProfileViewSchema } from './invoice-profile.view';

/** The tenant's seller profile, printed on its invoices: set by its operators (admin keys), seen by no other tenant. */
@Controller('v1/invoice-profile')
export class InvoiceProfileController {
  constructor(private readonly profiles: InvoiceProfileRepository) {}

  /** Replaces the whole profile: a field left out is cleared (or, for numberPrefix, back to its default). */
  @Put()
  @RequireScope(ApiScope.Admin)
  @ApiOperation({
    operationId: 'putInvoiceProfile',
    summary: "Sets the tenant's seller profile, printed on its invoices.",
    description: 'Replaces the whole profile: a field left out is cleared (or, for numberPrefix, back to its default).',
    responses: { 200: { description: 'The profile as stored.', schema: InvoiceProfileViewSchema } },
  })
  async put(@Body(new BodyPipe(InvoiceProfileDto)) profile: InvoiceProfileDto, @Caller() caller: Principal): Promise<InvoiceProfileView> {
    const stored = await this.profiles.put(caller.tenant, {
      name: profile.name,
      address: profile.address,
      taxId: profile.taxId,
      logo: profile.logo ? { contentType: profile.logo.contentType, data: Buffer.from(profile.logo.data, 'base64') } : null,
      footer: profile.footer ?? null,
      numberPrefix: profile.numberPrefix ?? DEFAULT_INVOICE_NUMBER_PREFIX,
    });
    return invoiceProfileView(stored);
  }

  @Get()
  @RequireScope(ApiScope.Admin)
  @ApiOperation({
    operationId: 'getInvoiceProfile',
    summary: "The tenant's seller profile.",
    responses: { 200: { description: 'The profile.', schema: InvoiceProfileViewSchema }, 404: 'The tenant has no profile yet.' },
  })
  async get(@Caller() caller: Principal): Promise<InvoiceProfileView> {
    const profile = await this.profiles.find(caller.tenant);
    if (!profile) throw new NotFoundException('This tenant has no invoice profile: PUT /v1/invoice-profile sets one');
    return invoiceProfileView(profile);
  }
}
