import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyPipe } from '../http/payload.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { webhookEndpointView } from './webhook.view';

/** A tenant's webhook endpoints, managed by its operators (admin keys). */
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointService) {}

  @Post()
  @RequireScope(ApiScope.Admin)
  @HttpCode(201)
  async create(@Body(new BodyPipe(CreateWebhookEndpointDto)) request: CreateWebhookEndpointDto, @Caller() caller: Principal) {
    const { endpoint, secret } = await this.endpoints.register(caller.tenant, request);
    return { ...webhookEndpointView(endpoint), secret };
  }

  @Get()
  @RequireScope(ApiScope.Admin)
  async list(@Caller() caller: Principal) {
    const endpoints = await this.endpoints.list(caller.tenant);
    return { endpoints: endpoints.map(webhookEndpointView) };
  }

  @Get(':endpointId')
  @RequireScope(ApiScope.Admin)
  async get(@Param('endpointId', new UuidParamPipe('endpointId')) id: string, @Caller() caller: Principal) {
    return webhookEndpointView(await this.endpoints.find(id, caller.tenant));
  }

  @Patch(':endpointId')
  @RequireScope(ApiScope.Admin)
  async update(
    @Param('endpointId', new UuidParamPipe('endpointId')) id: string,
    @Body(new BodyPipe(UpdateWebhookEndpointDto)) changes: UpdateWebhookEndpointDto,
    @Caller() caller: Principal,
  ) {
    return webhookEndpointView(await this.endpoints.update(id, caller.tenant, changes));
  }

  @Delete(':endpointId')
  @RequireScope(ApiScope.Admin)
  @HttpCode(204)
  async delete(@Param('endpointId', new UuidParamPipe('endpointId')) id: string, @Caller() caller: Principal): Promise<void> {
    await this.endpoints.delete(id, caller.tenant);
  }

  @Post(':endpointId/rotate-secret')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  async rotateSecret(@Param('endpointId', new UuidParamPipe('endpointId')) id: string, @Caller() caller: Principal) {
    const { endpoint, secret } = await this.endpoints.rotateSecret(id, caller.tenant);
    return { ...webhookEndpointView(endpoint), secret };
  }
}
