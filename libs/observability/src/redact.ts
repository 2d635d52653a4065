// user:password@ in any URL-like text (amqp://, postgres://, https://).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^@\s/]+@/gi;
// password=... in connection strings written as key/value pairs.
const PASSWORD_PAIRS = /(password\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi;
// Bearer tokens and Baton API keys, should one end up in a message.
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** An error's message, fit for a log line or a readiness report: credentials replaced by `***`. */
export function describeError(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/** The text with anything that looks like a credential replaced by `***`. */
export function redactSecrets(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@').replace(PASSWORD_PAIRS, '$1***').replace(BEARER, '$1***');
}
