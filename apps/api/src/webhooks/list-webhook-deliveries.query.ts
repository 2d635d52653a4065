import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { WEBHOOK_DELIVERY_STATUSES, WebhookDeliveryStatus } from '@baton/persistence';
import { PageQuery } from '../jobs/list-jobs.query';

/** The query of GET /v1/webhook-deliveries: filters, and the page. */
export class ListWebhookDeliveriesQuery extends PageQuery {
  @IsOptional()
  @IsUUID('all', { message: 'endpointId must be a UUID' })
  endpointId?: string;

  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES, { message: `status must be one of ${WEBHOOK_DELIVERY_STATUSES.join(', ')}` })
  status?: WebhookDeliveryStatus;
}
