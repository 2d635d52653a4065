import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { describeError } from '@baton/observability';
import { inClientSpan, markFailed, SemanticAttributes, SpanAttributes } from '@baton/tracing';
import { WebhookAddressPolicy } from './webhook-address-policy';

/** Bytes of an answer kept for the deliveries API; the rest is not read. */
export const RESPONSE_EXCERPT_BYTES = 1024;
// An answer is read (and discarded) up to this size so that a keep-alive
// connection stays usable; past it the connection is cut.
const MAX_RESPONSE_BYTES = 64 * 1024;

/** One attempt, as the deliveries API shows it. */
export interface WebhookAttempt {
  /** ISO-8601. */
  at: string;
  /** The endpoint's status code; null when no answer came (refused, timed out, forbidden address). */
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * POSTs one webhook. Never follows a redirect (a 3xx is an answer like any
 * other non-2xx), connects only to addresses the policy allows (checked in
 * the connection's own DNS lookup), and gives up after WEBHOOK_TIMEOUT_MS
 * from start to the last byte read, reading at most 64 KiB of the answer:
 * a slow or huge answer cannot hold a worker.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly policy: WebhookAddressPolicy,
    private readonly config: BatonConfig,
  ) {}

  async send(webhook: WebhookRequest): Promise<WebhookAttempt> {
    const at = new Date();
    const started = process.hrtime.bigint();
    const elapsed = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    return inClientSpan('POST', clientSpanAttributes(webhook.url), async (span) => {
      try {
        const { statusCode, excerpt } = await this.post(webhook);
        span.setAttribute(SemanticAttributes.HTTP_RESPONSE_STATUS_CODE, statusCode);
        if (statusCode >= 400) markFailed(span, `answered ${statusCode}`);
        return { at: at.toISOString(), statusCode, durationMs: elapsed(), error: null, responseExcerpt: excerpt };
      } catch (error) {
        markFailed(span, error);
        return { at: at.toISOString(), statusCode: null, durationMs: elapsed(), error: describeError(error), responseExcerpt: null };
      }
    });
  }

  private post(webhook: WebhookRequest): Promise<{ statusCode: number; excerpt: string | null }> {
    const url = this.policy.parse(webhook.url);
    if (typeof url === 'string') return Promise.reject(new Error(`endpoint URL ${url}`));
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An address in the URL is never looked up: it is checked here instead.
    if (isIP(host) !== 0 && !this.policy.isAllowedAddress(host)) {
      return Promise.reject(new Error(`${host} is a loopback, private, link-local or otherwise non-public address`));
    }
    const body = Buffer.from(webhook.body);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(url, {
        method: 'POST',
        headers: { ...webhook.headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'Baton-Webhooks/1' },
        lookup: this.policy.guardedLookup(),
        // One connection per attempt: endpoints are many and attempts to one are spread out.
        agent: false,
        signal: AbortSignal.timeout(this.config.WEBHOOK_TIMEOUT_MS),
      });
      outgoing.on('error', (error) => reject(error.name === 'AbortError' ? new Error(`no answer within ${this.config.WEBHOOK_TIMEOUT_MS} ms`) : error));
      outgoing.on('response', (response) => readExcerpt(response).then((excerpt) => resolve({ statusCode: response.statusCode ?? 0, excerpt }), reject));
      outgoing.end(body);
    });
  }
}

/** The conventions' attributes of a webhook's POST; the URL without its query, which may hold a token. */
function clientSpanAttributes(url: string): SpanAttributes {
  const attributes: SpanAttributes = { [SemanticAttributes.HTTP_REQUEST_METHOD]: 'POST' };
  if (!URL.canParse(url)) return attributes;
  const parsed = new URL(url);
  attributes[SemanticAttributes.URL_FULL] = `${parsed.origin}${parsed.pathname}`;
  attributes[SemanticAttributes.SERVER_ADDRESS] = parsed.hostname;
  attributes[SemanticAttributes.SERVER_PORT] = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
  return attributes;
}

/** The start of an answer's body, as text; the answer is read to its end or cut at MAX_RESPONSE_BYTES. */
function readExcerpt(response: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let readBytes = 0;
    response.on('data', (chunk: Buffer) => {
      readBytes += chunk.length;
      if (keptBytes < RESPONSE_EXCERPT_BYTES) {
        const part = chunk.subarray(0, RESPONSE_EXCERPT_BYTES - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (readBytes > MAX_RESPONSE_BYTES) {
        response.destroy();
        resolve(excerptOf(kept));
      }
    });
    response.on('end', () => resolve(excerptOf(kept)));
    response.on('error', (error) => (readBytes > MAX_RESPONSE_BYTES ? resolve(excerptOf(kept)) : reject(error)));
  });
}

function excerptOf(chunks: Buffer[]): string | null {
  const text = Buffer.concat(chunks).toString('utf8').replace(/\uFFFD+$/, '');
  return text.length > 0 ? text : null;
}
