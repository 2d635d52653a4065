export { ForbiddenAddressError, MAX_WEBHOOK_URL_LENGTH, WebhookAddressPolicy } from './webhook-address-policy';
export { attemptOutcome, WebhookDeliveryService } from './webhook-delivery.service';
export { generateWebhookSecret, signatureHeader } from './webhook-secret';
export { RESPONSE_EXCERPT_BYTES, WebhookAttempt, WebhookRequest, WebhookSender } from './webhook-sender';
export { WebhooksModule } from './webhooks.module';
