import { Injectable, Logger } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { Metrics, runWithLogContext } from '@baton/observability';
import { ClaimedWebhookDelivery, WebhookAttemptOutcome, WebhookDeliveryRepository, WebhookDeliveryStatus } from '@baton/persistence';
import { signatureHeader } from './webhook-secret';
import { WebhookAttempt, WebhookSender } from './webhook-sender';

// A claim outlives the attempt's timeout by this much before the relay may
// hand the delivery out again (its worker presumably died).
const LEASE_MARGIN_SEC = 30;

/** What an attempt's answer means for its delivery: 2xx done, 410 gone for good, anything else another attempt while the schedule lasts. */
export function attemptOutcome(attempt: Pick<WebhookAttempt, 'statusCode'>, attemptNumber: number, schedule: readonly number[]): WebhookAttemptOutcome {
  const code = attempt.statusCode;
  if (code !== null && code >= 200 && code < 300) return { status: WebhookDeliveryStatus.Succeeded };
  if (code === 410) return { status: WebhookDeliveryStatus.Failed, disableEndpoint: 'the endpoint answered 410 Gone' };
  const retryInSec = schedule[attemptNumber - 1];
  return retryInSec === undefined ? { status: WebhookDeliveryStatus.Failed } : { status: WebhookDeliveryStatus.Pending, retryInSec };
}

/**
 * Makes one attempt of a webhook delivery: takes it, signs the event with
 * the endpoint's secrets, POSTs it, and records the answer and what
 * follows (see attemptOutcome). Runs in the delivery workers, for each
 * message of the `webhooks` queue.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger('WebhookDelivery');

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly sender: WebhookSender,
    private readonly config: BatonConfig,
    private readonly metrics: Metrics,
  ) {}

  async deliver(deliveryId: string): Promise<void> {
    const claim = await this.deliveries.claim(deliveryId, Math.ceil(this.config.WEBHOOK_TIMEOUT_MS / 1000) + LEASE_MARGIN_SEC);
    if (!claim) {
      this.logger.debug(`webhook delivery ${deliveryId} is not pending or not published: message dropped`);
      return;
    }
    const context = { correlationId: claim.event.correlationId ?? undefined, jobId: claim.event.jobId ?? undefined, deliveryId: claim.id, eventId: claim.event.id };
    await runWithLogContext(context, () => this.attempt(claim));
  }

  private async attempt(claim: ClaimedWebhookDelivery): Promise<void> {
    if (claim.endpoint.disabled) {
      await this.settle(claim, { at: new Date().toISOString(), statusCode: null, durationMs: 0, error: 'the endpoint is disabled', responseExcerpt: null }, { status: WebhookDeliveryStatus.Failed });
      return;
    }
    const body = JSON.stringify(claim.event);
    const timestamp = new Date();
    const attempt = await this.sender.send({
      url: claim.endpoint.url,
      body,
      headers: {
        'webhook-id': claim.id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signatureHeader(claim.endpoint.secrets, claim.id, timestamp, body),
      },
    });
    const outcome = attemptOutcome(attempt, claim.attempt, this.config.WEBHOOK_RETRY_SCHEDULE_SEC);
    await this.settle(claim, attempt, outcome);
  }

  private async settle(claim: ClaimedWebhookDelivery, attempt: WebhookAttempt, outcome: WebhookAttemptOutcome): Promise<void> {
    const { recorded, endpointDisabled } = await this.deliveries.settle(claim, attempt, outcome);
    const metric = outcome.status === WebhookDeliveryStatus.Pending ? 'retry' : outcome.status;
    this.metrics.webhookDeliveries.inc({ outcome: metric });
    this.metrics.webhookAttemptDuration.observe({ outcome: metric }, attempt.durationMs / 1000);
    if (endpointDisabled) this.metrics.webhookEndpointsDisabled.inc();
    const answer = attempt.statusCode !== null ? `answered ${attempt.statusCode}` : `failed: ${attempt.error}`;
    const what = `${claim.event.type} webhook ${claim.id} (event ${claim.event.id}) to endpoint ${claim.endpoint.id}, attempt ${claim.attempt}, ${answer} in ${attempt.durationMs} ms`;
    if (!recorded) this.logger.warn(`${what}; not recorded: the delivery was taken again meanwhile`);
    else if (outcome.status === WebhookDeliveryStatus.Succeeded) this.logger.log(what);
    else if (outcome.status === WebhookDeliveryStatus.Pending) this.logger.log(`${what}; next attempt in ${outcome.retryInSec} s`);
    else this.logger.warn(`${what}; delivery failed${endpointDisabled ? ', endpoint disabled' : ''}`);
  }
}
