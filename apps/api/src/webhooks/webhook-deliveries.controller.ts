import { ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { ApiOperation } from '@baton/openapi';
import { WebhookDeliveryRepository } from '@baton/persistence';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { errorBody } from '../http/error-body';
import { QueryPipe } from '../http/query.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { DEFAULT_PAGE_SIZE } from '../jobs/list-jobs.query';
import { ListWebhookDeliveriesQuery } from './list-webhook-deliveries.query';
import { WebhookDeliveryPage, WebhookDeliveryPageSchema, WebhookDeliveryView, webhookDeliveryView, WebhookDeliveryViewSchema } from './webhook.view';

const NOT_FOUND = "No such webhook delivery in the API key's tenant.";

/** What became of each webhook: its attempts, their answers; and a way to send one again. */
@Controller('v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveryRepository) {}

  @Get()
  @RequireScope(ApiScope.Admin)
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: "The tenant's webhook deliveries, newest first, with every attempt, a page at a time.",
    responses: { 200: { description: 'A page of deliveries.', schema: WebhookDeliveryPageSchema } },
  })
  async list(@Query(new QueryPipe(ListWebhookDeliveriesQuery)) query: ListWebhookDeliveriesQuery, @Caller() caller: Principal): Promise<WebhookDeliveryPage> {
    const page = await this.deliveries.list(
      { tenant: caller.tenant, endpointId: query.endpointId?.toLowerCase(), status: query.status },
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { deliveries: page.deliveries.map(webhookDeliveryView), nextCursor: page.nextCursor };
  }

  @Get(':deliveryId')
  @RequireScope(ApiScope.Admin)
  @ApiOperation({ operationId: 'getWebhookDelivery', summary: 'A webhook delivery and its attempts.', responses: { 200: { description: 'The delivery.', schema: WebhookDeliveryViewSchema }, 404: NOT_FOUND } })
  async get(@Param('deliveryId', new UuidParamPipe('deliveryId')) id: string, @Caller() caller: Principal): Promise<WebhookDeliveryView> {
    const delivery = await this.deliveries.find(id, caller.tenant);
    if (!delivery) throw new NotFoundException(`No webhook delivery ${id}`);
    return webhookDeliveryView(delivery);
  }

  /** Sends a finished delivery again, with the same webhook-id, from the start of its schedule. */
  @Post(':deliveryId/replay')
  @RequireScope(ApiScope.Admin)
  @HttpCode(202)
  @ApiOperation({
    operationId: 'replayWebhookDelivery',
    summary: 'Sends a finished delivery again, with the same webhook-id, from the start of its schedule.',
    responses: {
      202: { description: 'Pending again.', schema: WebhookDeliveryViewSchema },
      404: NOT_FOUND,
      409: 'The delivery is still pending, or its endpoint is disabled.',
    },
  })
  replay(@Param('deliveryId', new UuidParamPipe('deliveryId')) id: string, @Caller() caller: Principal): Promise<WebhookDeliveryView> {
    return replayDelivery(this.deliveries, id, caller.tenant);
  }
}

/** Sends a finished delivery again: the tenant's, or any tenant's when `tenant` is absent (an operator, in the dashboard). */
export async function replayDelivery(deliveries: WebhookDeliveryRepository, id: string, tenant: string | undefined): Promise<WebhookDeliveryView> {
  const outcome = await deliveries.replay(id, tenant);
  switch (outcome.kind) {
    case 'replayed':
      return webhookDeliveryView(outcome.delivery);
    case 'not-found':
      throw new NotFoundException(`No webhook delivery ${id}`);
    case 'pending':
      throw new ConflictException(errorBody(409, `Webhook delivery ${id} is still pending: it is sent at its next attempt`));
    case 'endpoint-disabled':
      throw new ConflictException(errorBody(409, `The endpoint of webhook delivery ${id} is disabled: enable it first (PATCH /v1/webhook-endpoints/:id {"disabled": false})`));
  }
}
