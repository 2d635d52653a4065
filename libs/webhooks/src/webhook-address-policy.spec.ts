import { loadConfig } from '@baton/config';
import { WebhookAddressPolicy } from './webhook-address-policy';

const policy = (env: Record<string, string> = {}) => new WebhookAddressPolicy(loadConfig(env));

describe(WebhookAddressPolicy.name, () => {
  describe('isAllowedAddress', () => {
    it.each([
      '0.0.0.0',
      '0.1.2.3',
      '127.0.0.1',
      '127.255.255.254',
      '10.0.0.1',
      '100.64.0.1',
      '100.127.255.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fc00::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      'not an address',
    ])('refuses %s', (address) => {
      expect(policy().isAllowedAddress(address)).toBe(false);
    });

    it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:93.184.215.14'])('allows %s', (address) => {
      expect(policy().isAllowedAddress(address)).toBe(true);
    });

    it('allows what WEBHOOK_ALLOWED_HOSTS names: an address or a range', () => {
      const allowing = policy({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,10.20.0.0/16,fd00::/8' });
      expect(allowing.isAllowedAddress('127.0.0.1')).toBe(true);
      expect(allowing.isAllowedAddress('::ffff:127.0.0.1')).toBe(true);
      expect(allowing.isAllowedAddress('127.0.0.2')).toBe(false);
      expect(allowing.isAllowedAddress('10.20.3.4')).toBe(true);
      expect(allowing.isAllowedAddress('10.21.3.4')).toBe(false);
      expect(allowing.isAllowedAddress('fd12::1')).toBe(true);
    });
  });

  describe('urlProblem', () => {
    it.each([
      ['http://127.0.0.1:8080/hook', 'must be an https URL'],
      ['https://127.0.0.1:8080/hook', 'must not point at 127.0.0.1'],
      ['https://localhost/hook', 'it resolves to'],
      ['https://169.254.169.254/latest', 'must not point at 169.254.169.254'],
      ['https://[::ffff:7f00:1]/hook', 'must not point at'],
      ['https://0x7f000001/hook', 'must not point at 127.0.0.1'],
      ['https://2130706433/hook', 'must not point at 127.0.0.1'],
      ['https://user:secret@example.com/hook', 'must not carry credentials'],
      ['hooks.example.com/x', 'must be an absolute URL'],
      [`https://example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
      ['https://no-such-host.invalid/hook', 'does not resolve'],
    ])('refuses %s (%s) without WEBHOOK_ALLOWED_HOSTS', async (url, problem) => {
      await expect(policy().urlProblem(url)).resolves.toContain(problem);
    });

    it('takes http and loopback only as configured', async () => {
      const allowing = policy({ WEBHOOK_ALLOW_HTTP: '1', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
      await expect(allowing.urlProblem('http://127.0.0.1:8080/hook')).resolves.toBeUndefined();
      await expect(allowing.urlProblem('http://127.0.0.2:8080/hook')).resolves.toContain('must not point at 127.0.0.2');
      await expect(policy({ WEBHOOK_ALLOW_HTTP: '1' }).urlProblem('http://127.0.0.1:8080/hook')).resolves.toContain('must not point at 127.0.0.1');
    });

    it('takes a host WEBHOOK_ALLOWED_HOSTS names, whatever it resolves to', async () => {
      await expect(policy({ WEBHOOK_ALLOWED_HOSTS: 'localhost' }).urlProblem('https://localhost/hook')).resolves.toBeUndefined();
    });
  });

  describe('guardedLookup', () => {
    function lookup(subject: WebhookAddressPolicy, host: string, all: boolean): Promise<unknown> {
      return new Promise((resolve, reject) => subject.guardedLookup()(host, { all }, (error, address) => (error ? reject(error) : resolve(address))));
    }

    it('fails a connection to a name that resolves to a forbidden address', async () => {
      await expect(lookup(policy(), 'localhost', false)).rejects.toThrow(/localhost resolves to .*non-public address/);
      await expect(lookup(policy(), 'localhost', true)).rejects.toThrow(/non-public/);
    });

    it('lets a connection to an allowed address through, in the form asked for', async () => {
      const allowing = policy({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.0/8,::1' });
      await expect(lookup(allowing, 'localhost', false)).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
      await expect(lookup(allowing, 'localhost', true)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
    });
  });
});
