import { Module } from '@nestjs/common';
import { WebhookAddressPolicy, WebhookDeliveryService, WebhookSender } from '@baton/webhooks';
import { WebhookDeliveryHandler } from './webhook-delivery.handler';

/** The delivery workers' part: loaded where WORKER_QUEUES names `webhooks`. */
@Module({ controllers: [WebhookDeliveryHandler], providers: [WebhookAddressPolicy, WebhookSender, WebhookDeliveryService] })
export class WebhookDeliveryWorkerModule {}
