import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiScope, grantsScope, Principal } from '@baton/auth';
import { ScheduleRepository, WebhookDeliveryRepository, WebhookEndpointRepository } from '@baton/persistence';
import { ApiExcluded } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { QueryPipe } from '../http/query.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { DEFAULT_PAGE_SIZE } from '../jobs/list-jobs.query';
import { ScheduleService } from '../schedules/schedule.service';
import { ScheduleView, scheduleView } from '../schedules/schedule.view';
import { ListWebhookDeliveriesQuery } from '../webhooks/list-webhook-deliveries.query';
import { replayDelivery } from '../webhooks/webhook-deliveries.controller';
import { WebhookDeliveryPage, webhookDeliveryView, WebhookDeliveryView, WebhookEndpointView, webhookEndpointView } from '../webhooks/webhook.view';
import { DashboardRoutes } from './dashboard-session.guard';

/** An admin's tenant; undefined (every tenant) for an operator. */
const tenantOf = (caller: Principal): string | undefined => (grantsScope(caller.scopes, ApiScope.Operator) ? undefined : caller.tenant);

/**
 * Schedules and webhooks in the dashboard: lists (every tenant's for an
 * operator, each entry naming its tenant), pause and resume of a schedule,
 * replay of a delivery, with the semantics of their /v1 routes.
 */
@Controller('dashboard/api')
@ApiExcluded()
@DashboardRoutes()
export class DashboardSchedulesController {
  constructor(
    private readonly schedules: ScheduleService,
    private readonly storedSchedules: ScheduleRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
  ) {}

  @Get('schedules')
  @RequireScope(ApiScope.Admin)
  async listSchedules(@Caller() caller: Principal): Promise<{ schedules: Array<ScheduleView & { tenant: string }> }> {
    const schedules = await this.storedSchedules.list(tenantOf(caller));
    return { schedules: schedules.map((schedule) => ({ ...scheduleView(schedule), tenant: schedule.tenant })) };
  }

  @Post('schedules/:scheduleId/pause')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  pauseSchedule(@Param('scheduleId', new UuidParamPipe('scheduleId')) id: string, @Caller() caller: Principal): Promise<ScheduleView & { tenant: string }> {
    return this.setPaused(id, caller, true);
  }

  @Post('schedules/:scheduleId/resume')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  resumeSchedule(@Param('scheduleId', new UuidParamPipe('scheduleId')) id: string, @Caller() caller: Principal): Promise<ScheduleView & { tenant: string }> {
    return this.setPaused(id, caller, false);
  }

  @Get('webhook-endpoints')
  @RequireScope(ApiScope.Admin)
  async listEndpoints(@Caller() caller: Principal): Promise<{ endpoints: Array<WebhookEndpointView & { tenant: string }> }> {
    const endpoints = await this.endpoints.list(tenantOf(caller));
    return { endpoints: endpoints.map((endpoint) => ({ ...webhookEndpointView(endpoint), tenant: endpoint.tenant })) };
  }

  @Get('webhook-deliveries')
  @RequireScope(ApiScope.Admin)
  async listDeliveries(@Query(new QueryPipe(ListWebhookDeliveriesQuery)) query: ListWebhookDeliveriesQuery, @Caller() caller: Principal): Promise<WebhookDeliveryPage> {
    const page = await this.deliveries.list({ tenant: tenantOf(caller), endpointId: query.endpointId?.toLowerCase(), status: query.status }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return { deliveries: page.deliveries.map(webhookDeliveryView), nextCursor: page.nextCursor };
  }

  @Post('webhook-deliveries/:deliveryId/replay')
  @RequireScope(ApiScope.Admin)
  @HttpCode(202)
  replay(@Param('deliveryId', new UuidParamPipe('deliveryId')) id: string, @Caller() caller: Principal): Promise<WebhookDeliveryView> {
    return replayDelivery(this.deliveries, id, tenantOf(caller));
  }

  /** As PATCH /v1/schedules/:id { paused }, in the schedule's tenant (an operator acts on any). */
  private async setPaused(id: string, caller: Principal, paused: boolean): Promise<ScheduleView & { tenant: string }> {
    const schedule = await this.storedSchedules.find(id, tenantOf(caller));
    if (!schedule) throw new NotFoundException(`No schedule ${id}`);
    const updated = await this.schedules.update(id, schedule.tenant, { paused });
    return { ...scheduleView(updated), tenant: updated.tenant };
  }
}
