import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from './verify-webhook';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

function delivery(secrets: string[], at = new Date()) {
  const id = randomUUID();
  const body = JSON.stringify({
    id,
    type: 'workout.saved',
    timestamp: at.toISOString(),
    tenant: 'acme',
    jobId: randomUUID(),
    correlationId: 'request-1',
    dataVersion: 1,
    data: { workoutId: randomUUID(), userId: 'user-1', activity: 'run', startedAt: '2026-11-20T07:30:00.000Z', durationSec: 1800 },
  });
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' ');
  return { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature } };
}

describe(verifyWebhook.name, () => {
  it('returns the event of a delivery signed with the secret', () => {
    const secret = newSecret();
    const { body, headers } = delivery([secret]);
    const event = verifyWebhook(headers, body, secret);
    expect(event).toEqual(JSON.parse(body));
    expect(event.type).toBe('workout.saved');
  });

  it('accepts a header with two signatures, as sent while a secret is rotated, whichever secret the receiver holds', () => {
    const [previous, next] = [newSecret(), newSecret()];
    const { body, headers } = delivery([previous, next]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyWebhook(headers, body, previous).id).toBe(headers['webhook-id']);
    expect(verifyWebhook(headers, Buffer.from(body), next).id).toBe(headers['webhook-id']);
  });

  it('reads fetch Headers and Node headers in any case', () => {
    const secret = newSecret();
    const { body, headers } = delivery([secret]);
    expect(verifyWebhook(new Headers(headers), body, secret).id).toBe(headers['webhook-id']);
    const shouted = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect(verifyWebhook(shouted, body, secret).id).toBe(headers['webhook-id']);
  });

  it('refuses a delivery signed with another secret', () => {
    const { body, headers } = delivery([newSecret()]);
    expect(() => verifyWebhook(headers, body, newSecret())).toThrow(WebhookVerificationError);
  });

  it('refuses a body changed after signing', () => {
    const secret = newSecret();
    const { body, headers } = delivery([secret]);
    expect(() => verifyWebhook(headers, body.replace('"run"', '"ride"'), secret)).toThrow(WebhookVerificationError);
  });

  it('refuses a timestamp more than five minutes old, even correctly signed', () => {
    const secret = newSecret();
    const { body, headers } = delivery([secret], new Date(Date.now() - 6 * 60_000));
    expect(() => verifyWebhook(headers, body, secret)).toThrow(/timestamp/i);
    // Four minutes is within the tolerance.
    const recent = delivery([secret], new Date(Date.now() - 4 * 60_000));
    expect(verifyWebhook(recent.headers, recent.body, secret).id).toBe(recent.headers['webhook-id']);
  });

  it('refuses a delivery without its signature headers', () => {
    const secret = newSecret();
    const { body, headers } = delivery([secret]);
    const { 'webhook-signature': _, ...unsigned } = headers;
    expect(() => verifyWebhook(unsigned, body, secret)).toThrow(/webhook-signature/);
  });
});
