/** The dashboard session's cookie: sent by the browser to /dashboard paths only, never to /v1. */
export const SESSION_COOKIE = 'baton_dashboard';
export const SESSION_COOKIE_PATH = '/dashboard';

/** The value of the session cookie in a Cookie header; undefined when absent. */
export function sessionCookieOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === SESSION_COOKIE) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie header of a session: HttpOnly (no script reads it),
 * SameSite=Strict (no other site's page sends it), Secure unless `secure`
 * is false (plain HTTP in development). `maxAgeSec` 0 clears it.
 */
export function sessionCookie(token: string, maxAgeSec: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${token}`, `Path=${SESSION_COOKIE_PATH}`, `Max-Age=${maxAgeSec}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}
