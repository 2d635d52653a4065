import { createTransport, NodemailerError, Transporter } from 'nodemailer';
import type { SMTPSentMessageInfo } from 'nodemailer';
import { parseSmtpUrl } from '@baton/config';
import { inClientSpan, SemanticAttributes, SpanAttributes } from '@baton/tracing';
import { MailReceipt, MailRefusedError, MailTransport, MailUnavailableError, OutgoingEmail } from './mail-transport';
import { mimeMessageOf } from './mime-message';

/** How long SmtpMailTransport waits on a mail server, in milliseconds. */
export interface SmtpTimeouts {
  /** Connecting: the DNS lookup, the TCP connection, the server's greeting and a STARTTLS upgrade together. */
  connectionTimeout: number;
  /** The greeting alone, within connectionTimeout. */
  greetingTimeout: number;
  /** Silence in the middle of a conversation. */
  socketTimeout: number;
}

// nodemailer's defaults (2 minutes to connect, 30 s for the greeting, 10
// minutes of silence) suit a batch mailer. A worker holds a job while it
// waits, and a relay that has not connected and greeted within seconds is
// down: giving up soon frees the worker and hands the job to the retry
// policy, whose growing backoff spaces the next attempts out. Silence is
// allowed longer: it comes after DATA while the server scans the message,
// and giving up then may send the email twice (the server may still take
// it); RFC 5321 allows 10 minutes there, which no relay should need.
export const SMTP_TIMEOUTS: SmtpTimeouts = {
  connectionTimeout: 15_000,
  greetingTimeout: 10_000,
  socketTimeout: 60_000,
};

/**
 * Sends through an SMTP server (a relay such as Postfix, SES or Postmark) at
 * an smtp:// or smtps:// URL with its credentials in it. With smtp:// the
 * connection is upgraded with STARTTLS whenever the server offers it (and
 * must be, to log in), and certificates are always verified.
 *
 * Not pooled: each email opens a connection of its own. A pool would keep
 * its own retry loop (it requeues a message whose connection dropped) beside
 * the job runner's, and a connection a relay closed while idle would fail
 * the next email; one handshake per email costs milliseconds beside a job's
 * bookkeeping.
 */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter<SMTPSentMessageInfo>;
  private readonly spanAttributes: SpanAttributes;

  constructor(url: string, timeouts: Partial<SmtpTimeouts> = {}) {
    super();
    const parsed = parseSmtpUrl(url);
    if ('problem' in parsed) throw new Error(`SMTP URL ${parsed.problem}`);
    this.spanAttributes = {
      [SemanticAttributes.NETWORK_PROTOCOL_NAME]: 'smtp',
      [SemanticAttributes.SERVER_ADDRESS]: parsed.endpoint.host,
      [SemanticAttributes.SERVER_PORT]: parsed.endpoint.port,
    };
    // Options from the parsed URL, not the URL itself: nodemailer would read
    // a query string as options of its own.
    this.transporter = createTransport({
      ...parsed.endpoint,
      // Credentials never travel in the clear: over smtp:// they wait for
      // STARTTLS, and a server that does not offer it (or an attacker who
      // strips the offer) gets no login. Without credentials, TLS is taken
      // whenever offered.
      requireTLS: parsed.endpoint.auth !== undefined && !parsed.endpoint.secure,
      ...SMTP_TIMEOUTS,
      ...timeouts,
      // The message's Buffers and strings only, never a path or URL to read.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  send(message: OutgoingEmail): Promise<MailReceipt> {
    return inClientSpan('smtp send', this.spanAttributes, async () => {
      try {
        const info = await this.transporter.sendMail(mimeMessageOf(message));
        return { response: info.response, messageId: info.messageId };
      } catch (error) {
        throw deliveryError(error);
      }
    });
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

/**
 * What a nodemailer error means for the email. Refused for good: a 5xx reply
 * to the envelope or the message itself (MAIL FROM, RCPT TO, DATA), except
 * 503, which says the session went wrong, not the email. A 5xx anywhere
 * else is about the connection or Baton's settings (a refused login, no
 * STARTTLS, a server that will not talk to this host): once that is
 * mended, the same email goes through. So is everything else: 4xx replies,
 * refused connections, timeouts, TLS failures.
 */
function deliveryError(error: unknown): MailRefusedError | MailUnavailableError {
  const failure = (error ?? {}) as NodemailerError;
  const code = failure.responseCode;
  const aboutTheEmail = failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE';
  if (aboutTheEmail && typeof code === 'number' && code >= 500 && code < 600 && code !== 503) {
    return new MailRefusedError(code, failure.response ?? failure.message, { cause: error });
  }
  return new MailUnavailableError(describe(failure), { cause: error });
}

function describe(failure: NodemailerError): string {
  const message = failure.message || String(failure);
  const reason = failure.response && !message.includes(failure.response) ? `${message}: ${failure.response}` : message;
  const codes = [failure.code, failure.originalCode, failure.timeoutType].filter((part) => part !== undefined);
  return codes.length > 0 ? `${reason} (${codes.join(', ')})` : reason;
}
