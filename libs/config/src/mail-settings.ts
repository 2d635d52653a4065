import { isEmail } from 'class-validator';
import addressparser from 'nodemailer/lib/addressparser';

/** Where SmtpMailTransport connects, as an SMTP_URL names it. */
export interface SmtpEndpoint {
  host: string;
  /** Absent: nodemailer's default, 587 for smtp:// and 465 for smtps://. */
  port?: number;
  /** smtps://: TLS from the first byte. smtp://: STARTTLS when the server offers it (required with credentials). */
  secure: boolean;
  auth?: { user: string; pass: string };
}

const EXAMPLE_URL = 'smtps://user:password@smtp.example.com:465';

/** The endpoint `url` names, or what is wrong with it (never quoting the URL: it may hold a password). */
export function parseSmtpUrl(url: string): { endpoint: SmtpEndpoint } | { problem: string } {
  if (!URL.canParse(url)) return { problem: `must be a URL such as ${EXAMPLE_URL} (a port from 1 to 65535)` };
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    return { problem: 'must start with smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start)' };
  }
  if (parsed.hostname === '') return { problem: `must name a host, as in ${EXAMPLE_URL}` };
  if (parsed.port === '0') return { problem: 'must name a port from 1 to 65535, or none' };
  // 465 is the port of TLS from the first byte (RFC 8314): smtp:// there would wait out the greeting timeout.
  if (parsed.protocol === 'smtp:' && parsed.port === '465') return { problem: 'names port 465, which expects TLS from the start: write smtps://' };
  if (parsed.pathname !== '' && parsed.pathname !== '/') return { problem: 'must not have a path after the host' };
  // nodemailer would read a query as connection options, overriding Baton's
  // own (?tls.rejectUnauthorized=false turns certificate checks off).
  if (parsed.search !== '' || parsed.hash !== '') return { problem: 'must not carry options after the host (?… or #…)' };
  if (parsed.password !== '' && parsed.username === '') return { problem: 'has a password but no user name' };
  let auth: SmtpEndpoint['auth'];
  if (parsed.username !== '') {
    try {
      auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
    } catch {
      return { problem: 'must percent-encode its user name and password (% as %25)' };
    }
  }
  return {
    endpoint: {
      // An IPv6 address comes bracketed, as a URL writes it; a socket wants it bare.
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port === '' ? undefined : Number(parsed.port),
      secure: parsed.protocol === 'smtps:',
      auth,
    },
  };
}

/** What is wrong with an SMTP_URL, or undefined when it will do. */
export function smtpUrlProblem(url: string): string | undefined {
  const parsed = parseSmtpUrl(url);
  return 'problem' in parsed ? parsed.problem : undefined;
}

const FROM_FORM = /^(?:(?<name>[^<>]*?)\s*<(?<angled>[^<>]*)>|(?<bare>[^<>\s]+))$/u;
const QUOTED_NAME = /^"(?:[^"\\]|\\.)*"$/u;
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const FROM_EXAMPLES = 'noreply@example.com or Example <noreply@example.com>';

/**
 * What is wrong with a MAIL_FROM, or undefined when it will do: an address,
 * or a name and an address in angle brackets; a name with a comma or a
 * double quote in double quotes, as a mail header needs it.
 */
export function mailFromProblem(from: string): string | undefined {
  if (CONTROL.test(from)) return 'must be one line, without control characters';
  const form = FROM_FORM.exec(from.trim());
  if (!form?.groups) return `must be an address or a name and an address, as in ${FROM_EXAMPLES}`;
  const { name = '', angled, bare } = form.groups;
  const address = (angled ?? bare).trim();
  // require_tld off: a development relay's sender may well be baton@localhost.
  if (!isEmail(address, { require_tld: false, allow_display_name: false, allow_ip_domain: false })) {
    return `must hold a valid email address, as in ${FROM_EXAMPLES}`;
  }
  if (name.includes('"') && !QUOTED_NAME.test(name)) return 'must put a name with a double quote in it in double quotes, escaping the quote';
  if (/[,;:@]/.test(name) && !QUOTED_NAME.test(name)) return 'must put a name with , ; : or @ in it in double quotes, as in "Example, Inc." <noreply@example.com>';
  // What nodemailer makes of it must be this one sender.
  const read = addressparser(from);
  if (read.length !== 1 || !('address' in read[0]) || read[0].address !== address) {
    return `must be one sender, as in ${FROM_EXAMPLES}`;
  }
  return undefined;
}
