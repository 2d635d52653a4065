import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { WebhookEndpoint, WebhookEndpointChanges, WebhookEndpointRepository, MAX_ENDPOINTS_PER_TENANT } from '@baton/persistence';
import { generateWebhookSecret, WebhookAddressPolicy } from '@baton/webhooks';
import { errorBody, fieldErrorBody } from '../http/error-body';
import { CreateWebhookEndpointDto } from './webhook-endpoint.dto';

/** A tenant's endpoints: registered only where deliveries may go, each with its own secret. */
@Injectable()
export class WebhookEndpointService {
  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly policy: WebhookAddressPolicy,
    private readonly config: BatonConfig,
  ) {}

  /** Registers an endpoint and answers its secret, this once. */
  async register(tenant: string, request: CreateWebhookEndpointDto): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const problem = await this.policy.urlProblem(request.url);
    if (problem !== undefined) throw new BadRequestException(fieldErrorBody('url', problem));
    const secret = generateWebhookSecret();
    const endpoint = await this.endpoints.create({ tenant, url: request.url, events: request.events, description: request.description ?? null, secret });
    if (!endpoint) throw new ConflictException(errorBody(409, `A tenant may register at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints`));
    return { endpoint, secret };
  }

  list(tenant: string): Promise<WebhookEndpoint[]> {
    return this.endpoints.list(tenant);
  }

  async find(id: string, tenant: string): Promise<WebhookEndpoint> {
    return found(id, await this.endpoints.find(id, tenant));
  }

  async update(id: string, tenant: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint> {
    return found(id, await this.endpoints.update(id, tenant, changes));
  }

  async delete(id: string, tenant: string): Promise<void> {
    if (!(await this.endpoints.delete(id, tenant))) throw notFound(id);
  }

  /** A new secret, answered this once; the previous one keeps signing for WEBHOOK_SECRET_GRACE_SEC. */
  async rotateSecret(id: string, tenant: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const secret = generateWebhookSecret();
    const endpoint = found(id, await this.endpoints.rotateSecret(id, tenant, secret, this.config.WEBHOOK_SECRET_GRACE_SEC));
    return { endpoint, secret };
  }
}

function found(id: string, endpoint: WebhookEndpoint | null): WebhookEndpoint {
  if (!endpoint) throw notFound(id);
  return endpoint;
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`No webhook endpoint ${id}`);
}
