import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { components, webhooks } from './generated/schema';

/** Any event Baton delivers, told apart by its `type`. */
export type WebhookEvent = webhooks[keyof webhooks]['post']['requestBody']['content']['application/json'];
export type EventType = WebhookEvent['type'];
export type JobEvent = components['schemas']['JobCompletedEvent'] | components['schemas']['JobDeadEvent'] | components['schemas']['JobCancelledEvent'];

/** Request headers as Node (`req.headers`) or fetch (`Headers`) hand them over. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/**
 * Checks a delivery's Standard Webhooks signature and returns its event.
 * `body` must be the raw body as received (a parsed and re-serialised one
 * does not match); `secret` is the endpoint's secret (`whsec_…`). Any one of
 * the space-separated signatures may match (two are sent while a secret is
 * rotated), and the timestamp must be within five minutes of now. Throws
 * WebhookVerificationError otherwise.
 */
export function verifyWebhook(headers: WebhookHeaders, body: string | Uint8Array, secret: string): WebhookEvent {
  const payload = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  return new Webhook(secret).verify(payload, signatureHeaders(headers)) as WebhookEvent;
}

function signatureHeaders(headers: WebhookHeaders): Record<string, string> {
  const read = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    // A header sent twice would be ambiguous: refused, as if missing.
    return Array.isArray(entry) ? undefined : entry;
  };
  const found: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = read(name);
    if (value === undefined) throw new WebhookVerificationError(`Missing required header ${name}`);
    found[name] = value;
  }
  return found;
}

export { WebhookVerificationError };
