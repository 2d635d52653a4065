import { WebhookDeliveryStatus } from '@baton/persistence';
import { attemptOutcome } from './webhook-delivery.service';

describe(attemptOutcome.name, () => {
  const schedule = [5, 300, 1800];

  it.each([
    [200, 1, { status: WebhookDeliveryStatus.Succeeded }],
    [204, 4, { status: WebhookDeliveryStatus.Succeeded }],
    [299, 2, { status: WebhookDeliveryStatus.Succeeded }],
    [410, 1, { status: WebhookDeliveryStatus.Failed, disableEndpoint: 'the endpoint answered 410 Gone' }],
    [500, 1, { status: WebhookDeliveryStatus.Pending, retryInSec: 5 }],
    [503, 2, { status: WebhookDeliveryStatus.Pending, retryInSec: 300 }],
    [429, 3, { status: WebhookDeliveryStatus.Pending, retryInSec: 1800 }],
    [500, 4, { status: WebhookDeliveryStatus.Failed }],
    [301, 1, { status: WebhookDeliveryStatus.Pending, retryInSec: 5 }],
    [404, 1, { status: WebhookDeliveryStatus.Pending, retryInSec: 5 }],
    [null, 1, { status: WebhookDeliveryStatus.Pending, retryInSec: 5 }],
    [null, 4, { status: WebhookDeliveryStatus.Failed }],
  ])('an answer %p on attempt %p: %j', (statusCode, attempt, expected) => {
    expect(attemptOutcome({ statusCode }, attempt, schedule)).toEqual(expected);
  });
});
