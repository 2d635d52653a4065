import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Standard Webhooks' schedule: retries after 5 s, 5 min, 30 min, 2 h, 5 h and 10 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_SEC = [5, 300, 1800, 7200, 18000, 36000];

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** What is wrong with one WEBHOOK_ALLOWED_HOSTS entry (a host name, an IP address or a CIDR range); undefined when nothing. */
export function allowedHostProblem(entry: string): string | undefined {
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return undefined;
    } catch {
      return `has "${entry}", which is not a CIDR range such as 10.0.0.0/8`;
    }
  }
  if (isIP(entry.replace(/^\[(.*)\]$/, '$1')) !== 0 || HOST_NAME.test(entry)) return undefined;
  return `has "${entry}", which is neither a host name, an IP address nor a CIDR range`;
}
