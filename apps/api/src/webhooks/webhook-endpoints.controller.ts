import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyPipe } from '../http/payload.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto';
import { WebhookEndpointService } from './webhook-endpoint.service';
import {
  WebhookEndpointList,
  WebhookEndpointListSchema,
  WebhookEndpointView,
  webhookEndpointView,
  WebhookEndpointViewSchema,
  WebhookEndpointWithSecret,
  WebhookEndpointWithSecretSchema,
} from './webhook.view';

const NOT_FOUND = "No such webhook endpoint in the API key's tenant.";

/** A tenant's webhook endpoints, managed by its operators (admin keys). */
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointService) {}

  @Post()
  @RequireScope(ApiScope.Admin)
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createWebhookEndpoint',
    summary: 'Registers a webhook endpoint; its signing secret is in this answer only.',
    description:
      'The URL must be https (unless WEBHOOK_ALLOW_HTTP) and its host must resolve only to public addresses (unless WEBHOOK_ALLOWED_HOSTS names it): a loopback, private, link-local or metadata address is a 400 naming `url`.',
    responses: { 201: { description: 'Registered.', schema: WebhookEndpointWithSecretSchema }, 409: 'The tenant already has the most endpoints it may.' },
  })
  async create(@Body(new BodyPipe(CreateWebhookEndpointDto)) request: CreateWebhookEndpointDto, @Caller() caller: Principal): Promise<WebhookEndpointWithSecret> {
    const { endpoint, secret } = await this.endpoints.register(caller.tenant, request);
    return { ...webhookEndpointView(endpoint), secret };
  }

  @Get()
  @RequireScope(ApiScope.Admin)
  @ApiOperation({ operationId: 'listWebhookEndpoints', summary: "The tenant's webhook endpoints, without their secrets.", responses: { 200: { description: 'The endpoints.', schema: WebhookEndpointListSchema } } })
  async list(@Caller() caller: Principal): Promise<WebhookEndpointList> {
    const endpoints = await this.endpoints.list(caller.tenant);
    return { endpoints: endpoints.map(webhookEndpointView) };
  }

  @Get(':endpointId')
  @RequireScope(ApiScope.Admin)
  @ApiOperation({ operationId: 'getWebhookEndpoint', summary: 'A webhook endpoint.', responses: { 200: { description: 'The endpoint.', schema: WebhookEndpointViewSchema }, 404: NOT_FOUND } })
  async get(@Param('endpointId', new UuidParamPipe('endpointId')) id: string, @Caller() caller: Principal): Promise<WebhookEndpointView> {
    return webhookEndpointView(await this.endpoints.find(id, caller.tenant));
  }

  @Patch(':endpointId')
  @RequireScope(ApiScope.Admin)
  @ApiOperation({
    operationId: 'updateWebhookEndpoint',
    summary: "Changes an endpoint's events, description, or whether it is disabled.",
    responses: { 200: { description: 'The endpoint as changed.', schema: WebhookEndpointViewSchema }, 404: NOT_FOUND },
  })
  async update(
    @Param('endpointId', new UuidParamPipe('endpointId')) id: string,
    @Body(new BodyPipe(UpdateWebhookEndpointDto)) changes: UpdateWebhookEndpointDto,
    @Caller() caller: Principal,
  ): Promise<WebhookEndpointView> {
    return webhookEndpointView(await this.endpoints.update(id, caller.tenant, changes));
  }

  @Delete(':endpointId')
  @RequireScope(ApiScope.Admin)
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteWebhookEndpoint', summary: 'Removes an endpoint and its deliveries.', responses: { 204: { description: 'Removed.' }, 404: NOT_FOUND } })
  async delete(@Param('endpointId', new UuidParamPipe('endpointId')) id: string, @Caller() caller: Principal): Promise<void> {
    await this.endpoints.delete(id, caller.tenant);
  }

  @Post(':endpointId/rotate-secret')
  @RequireScope(ApiScope.Admin)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: "Replaces an endpoint's secret; the previous one keeps signing for WEBHOOK_SECRET_GRACE_SEC.",
    responses: { 200: { description: 'The endpoint with its new secret.', schema: WebhookEndpointWithSecretSchema }, 404: NOT_FOUND },
  })
  async rotateSecret(@Param('endpointId', new UuidParamPipe('endpointId')) id: string, @Caller() caller: Principal): Promise<WebhookEndpointWithSecret> {
    const { endpoint, secret } = await this.endpoints.rotateSecret(id, caller.tenant);
    return { ...webhookEndpointView(endpoint), secret };
  }
}
