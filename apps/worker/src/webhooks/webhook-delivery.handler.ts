import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { WEBHOOK_DELIVERY_QUEUE } from '@baton/contracts';
import { JobErrorFilter } from '@baton/jobs';
import { WebhookDeliveryService } from '@baton/webhooks';

/** Runs each message of the `webhooks` queue: one attempt of one delivery. */
@Controller()
@UseFilters(JobErrorFilter)
export class WebhookDeliveryHandler {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  @EventPattern(WEBHOOK_DELIVERY_QUEUE)
  handle(@Payload() message: { deliveryId: string }): Promise<void> {
    return this.deliveries.deliver(message.deliveryId);
  }
}
