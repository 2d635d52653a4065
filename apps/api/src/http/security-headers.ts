import helmet, { HelmetOptions } from 'helmet';

/**
 * The headers helmet would set on a response with these options, worked out
 * once at start: with static directives they are the same on every
 * response, and running helmet's middleware per request (as
 * @fastify/helmet does) re-parses the CSP each time. Only helmet's own
 * header names and values are used, so its defaults stay the source of truth.
 */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  // A directive given as a function (a CSP nonce) is worked out per request: it cannot be fixed at start.
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' && csp.directives ? Object.values(csp.directives) : [];
  if (directives.some((value) => typeof value === 'function' || (Array.isArray(value) && value.some((item) => typeof item === 'function')))) {
    throw new Error('a CSP directive computed per request cannot be set once at start: these options need helmet per request');
  }
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let finished = false;
  helmet(options)({} as never, response as never, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('helmet did not set its headers synchronously: these options need it per request');
  return Object.freeze(headers);
}
