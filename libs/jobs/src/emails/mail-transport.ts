import { domainToASCII } from 'node:url';

/** One email, rendered and addressed, ready to hand to a mail server. */
export interface OutgoingEmail {
  /** The Message-ID header, angle brackets included: see messageIdFor. */
  messageId: string;
  /** `noreply@example.com` or `Example <noreply@example.com>`. */
  from: string;
  /** One bare address. */
  to: string;
  subject: string;
  html: string;
  text: string;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
}

/** What became of a sent email. */
export interface MailReceipt {
  /** The mail server's final reply (`250 2.0.0 queued as …`), or what the transport did instead. */
  response: string;
  messageId: string;
  /** Where the email was written, for a transport that writes files instead of sending. */
  location?: string;
}

/**
 * Hands an email on. `send` resolves once the email is the next hop's
 * responsibility; it rejects with MailRefusedError when the server will never
 * take it, and with MailUnavailableError when it might later.
 */
export abstract class MailTransport {
  abstract send(message: OutgoingEmail): Promise<MailReceipt>;
  abstract close(): Promise<void>;
}

/** The mail server refused the email for good (a 5xx reply): sending it again would be refused again. */
export class MailRefusedError extends Error {
  constructor(
    /** The SMTP reply code, 500 to 599. */
    readonly responseCode: number,
    /** The server's reply as it sent it, such as `550 5.1.1 mailbox unavailable`. */
    readonly response: string,
    options?: ErrorOptions,
  ) {
    super(`the mail server refused the email: ${response}`, options);
    this.name = 'MailRefusedError';
  }
}

/** The email could not be handed on this time (no connection, a timeout, a 4xx reply): a later attempt may succeed. */
export class MailUnavailableError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`the email could not be sent now: ${reason}`, options);
    this.name = 'MailUnavailableError';
  }
}

// RFC 5322 dot-atom-text, limited to what a job id holds.
const ID_LEFT = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;
// RFC 2606 reserves .invalid for names that must never resolve.
const FALLBACK_DOMAIN = 'baton.invalid';

/**
 * The Message-ID of the email a job sends, `<job-id@sender-domain>`: the same
 * for every attempt of the job, so an email sent again after a lost reply is
 * recognisable as the same email, by a recipient's client and by an operator.
 */
export function messageIdFor(jobId: string, from: string): string {
  if (!ID_LEFT.test(jobId)) throw new Error(`a Message-ID is made of a job id (letters, digits, hyphens), not ${JSON.stringify(jobId)}`);
  return `<${jobId}@${senderDomain(from)}>`;
}

/** The domain of `from`'s address, lower-case and in ASCII (punycode), or baton.invalid when it has none. */
function senderDomain(from: string): string {
  const address = /<([^<>]*)>\s*$/.exec(from)?.[1] ?? from;
  const at = address.lastIndexOf('@');
  if (at < 0) return FALLBACK_DOMAIN;
  const domain = domainToASCII(address.slice(at + 1).trim().toLowerCase());
  return DOMAIN.test(domain) ? domain : FALLBACK_DOMAIN;
}
