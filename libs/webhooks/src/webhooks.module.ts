import { Module } from '@nestjs/common';
import { WebhookAddressPolicy } from './webhook-address-policy';

/** Where webhooks may go: for the API's registration checks, and the delivery workers. */
@Module({ providers: [WebhookAddressPolicy], exports: [WebhookAddressPolicy] })
export class WebhooksModule {}
