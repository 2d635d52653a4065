import { lookup as dnsLookup, LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { BatonConfig } from '@baton/config';

/** Longest endpoint URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Thrown when a host resolves to an address deliveries must not reach. */
export class ForbiddenAddressError extends Error {
  readonly code = 'EBATONFORBIDDENADDRESS';

  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a loopback, private, link-local or otherwise non-public address`);
    this.name = 'ForbiddenAddressError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Where webhooks may go. An endpoint's URL is `https` (or `http` with
 * WEBHOOK_ALLOW_HTTP), and every address its host resolves to is public
 * unicast: not loopback, private, link-local (cloud metadata), carrier-grade
 * NAT, multicast, reserved, nor an IPv6 form of one of them (IPv4-mapped,
 * NAT64, 6to4, Teredo). WEBHOOK_ALLOWED_HOSTS names hosts, addresses or
 * ranges exempt from the address rule.
 *
 * The URL is checked at registration, and the addresses again at every
 * delivery, inside the connection's own DNS lookup: a name that resolved to
 * a public address at registration may resolve to 127.0.0.1 now, and a
 * check before connecting would leave a gap between the check and the
 * connection's own resolution.
 */
@Injectable()
export class WebhookAddressPolicy {
  private readonly allowedNames = new Set<string>();
  private readonly allowedRanges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];

  constructor(private readonly config: BatonConfig) {
    for (const entry of config.WEBHOOK_ALLOWED_HOSTS) {
      if (entry.includes('/')) this.allowedRanges.push(ipaddr.parseCIDR(entry));
      else if (isIP(unbracketed(entry)) !== 0) this.allowedRanges.push(exactRange(ipaddr.process(unbracketed(entry))));
      else this.allowedNames.add(entry.toLowerCase().replace(/\.$/, ''));
    }
  }

  /** What is wrong with an endpoint URL, for a `400` naming `url`; undefined when it may be registered. Resolves its host. */
  async urlProblem(raw: string): Promise<string | undefined> {
    const parsed = this.parse(raw);
    if (typeof parsed === 'string') return parsed;
    const host = unbracketed(parsed.hostname);
    if (this.allowedNames.has(host.toLowerCase().replace(/\.$/, ''))) return undefined;
    if (isIP(host) !== 0) return this.isAllowedAddress(host) ? undefined : `must not point at ${host}, a loopback, private, link-local or otherwise non-public address`;
    try {
      const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
      );
      const forbidden = addresses.find((entry) => !this.isAllowedAddress(entry.address));
      return forbidden ? `must not point at ${host}: it resolves to ${forbidden.address}, a loopback, private, link-local or otherwise non-public address` : undefined;
    } catch {
      return `has a host, ${host}, that does not resolve`;
    }
  }

  /** The URL parsed, or what is wrong with its form. */
  parse(raw: string): URL | string {
    if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute URL, e.g. https://example.com/webhooks';
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.config.WEBHOOK_ALLOW_HTTP)) {
      return this.config.WEBHOOK_ALLOW_HTTP ? 'must be an https or http URL' : 'must be an https URL';
    }
    if (url.username !== '' || url.password !== '') return 'must not carry credentials; the signature authenticates deliveries';
    if (url.hostname === '') return 'must name a host';
    return url;
  }

  /** Whether deliveries may connect to this address. */
  isAllowedAddress(address: string): boolean {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(unbracketed(address));
    } catch {
      return false;
    }
    if (this.allowedRanges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))) return true;
    return parsed.range() === 'unicast';
  }

  /** Whether deliveries may reach this host whatever it resolves to (WEBHOOK_ALLOWED_HOSTS names it). */
  isAllowedName(host: string): boolean {
    return this.allowedNames.has(host.toLowerCase().replace(/\.$/, ''));
  }

  /**
   * A DNS lookup for the delivery's connection that fails with
   * ForbiddenAddressError when any address it finds is not allowed.
   */
  guardedLookup(): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        if (!this.isAllowedName(hostname)) {
          const forbidden = addresses.find((entry) => !this.isAllowedAddress(entry.address));
          if (forbidden) return callback(new ForbiddenAddressError(hostname, forbidden.address), []);
        }
        if (options.all) return callback(null, addresses);
        const [first] = addresses;
        return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      });
    };
  }
}

function unbracketed(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

function exactRange(address: ipaddr.IPv4 | ipaddr.IPv6): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}
