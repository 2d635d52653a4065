import { securityHeaders } from './security-headers';

describe('securityHeaders', () => {
  it("is helmet's header set for the options, names in lower case", () => {
    const headers = securityHeaders({
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'same-site' },
    });
    expect(headers).toMatchObject({
      'content-security-policy': expect.stringContaining("default-src 'none'"),
      'cross-origin-resource-policy': 'same-site',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
    });
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(Object.isFrozen(headers)).toBe(true);
  });

  it('leaves out what the options turn off', () => {
    const headers = securityHeaders({ strictTransportSecurity: false, contentSecurityPolicy: false });
    expect(headers).not.toHaveProperty('strict-transport-security');
    expect(headers).not.toHaveProperty('content-security-policy');
    expect(headers).toHaveProperty('x-content-type-options', 'nosniff');
  });

  it('refuses options that need helmet on every request', () => {
    const nonce = () => 'per-request';
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], scriptSrc: [nonce] } } })).toThrow(/per request/);
  });
});
