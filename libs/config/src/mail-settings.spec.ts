import { mailFromProblem, parseSmtpUrl, smtpUrlProblem } from './mail-settings';

describe('SMTP_URL', () => {
  it.each<[string, object]>([
    ['smtp://127.0.0.1:2525', { host: '127.0.0.1', port: 2525, secure: false, auth: undefined }],
    ['smtps://smtp.example.com', { host: 'smtp.example.com', port: undefined, secure: true, auth: undefined }],
    ['smtp://apikey:s3cr%40t%3A%2F@smtp.example.com:587/', { host: 'smtp.example.com', port: 587, secure: false, auth: { user: 'apikey', pass: 's3cr@t:/' } }],
    ['smtps://ada%40example.com:pw@[2001:db8::1]:465', { host: '2001:db8::1', port: 465, secure: true, auth: { user: 'ada@example.com', pass: 'pw' } }],
    ['smtp://user@relay.internal', { host: 'relay.internal', port: undefined, secure: false, auth: { user: 'user', pass: '' } }],
  ])('takes %s', (url, endpoint) => {
    expect(smtpUrlProblem(url)).toBeUndefined();
    expect(parseSmtpUrl(url)).toEqual({ endpoint });
  });

  it.each<[string, string, RegExp]>([
    ['not a URL', 'smtp.example.com:587', /must start with smtp:\/\/ .* or smtps:\/\//],
    ['another scheme', 'https://smtp.example.com', /must start with smtp:\/\//],
    ['no host', 'smtp://', /must name a host/],
    ['port 0', 'smtp://smtp.example.com:0', /port from 1 to 65535/],
    ['a port over 65535', 'smtp://smtp.example.com:65536', /port from 1 to 65535/],
    ['smtp:// on the port of TLS from the start', 'smtp://smtp.example.com:465', /port 465.*smtps:\/\//],
    ['a path', 'smtp://smtp.example.com/mail', /must not have a path/],
    ['options that would turn certificate checks off', 'smtps://smtp.example.com?tls.rejectUnauthorized=false', /must not carry options/],
    ['a fragment', 'smtp://smtp.example.com#pool', /must not carry options/],
    ['a password without a user', 'smtp://:secret@smtp.example.com', /password but no user name/],
    ['a password that is not percent-encoded', 'smtp://user:50%off@smtp.example.com', /percent-encode/],
  ])('refuses %s, without repeating the URL', (_, url, problem) => {
    expect(smtpUrlProblem(url)).toMatch(problem);
    expect(smtpUrlProblem(url)).not.toContain('secret');
    expect(smtpUrlProblem(url)).not.toContain('50%off');
  });
});

describe('MAIL_FROM', () => {
  it.each([
    'noreply@example.com',
    'Example <noreply@example.com>',
    'Example Shop <noreply@mail.example.com>',
    '"Example, Inc." <noreply@example.com>',
    '"The \\"Best\\" Shop" <noreply@example.com>',
    'Zoë’s Café <noreply@example.com>',
    'Baton <baton@localhost>',
    '<noreply@example.com>',
  ])('takes %s', (from) => {
    expect(mailFromProblem(from)).toBeUndefined();
  });

  it.each<[string, string, RegExp]>([
    ['a name alone', 'Example', /valid email address/],
    ['two addresses', 'a@example.com, b@example.com', /address or a name and an address/],
    ['two senders', 'A <a@example.com>, B <b@example.com>', /address or a name and an address/],
    ['a header after a line break', 'noreply@example.com\r\nBcc: eve@example.com', /one line/],
    ['an unquoted comma in the name', 'Example, Inc. <noreply@example.com>', /in double quotes/],
    ['an unbalanced quote in the name', 'Example "Shop <noreply@example.com>', /double quote/],
    ['text after the address', 'Example <noreply@example.com> extra', /address or a name and an address/],
    ['an address that is not one', 'Example <noreply>', /valid email address/],
    ['a group', 'Senders: a@example.com;', /valid email address|address or a name/],
  ])('refuses %s', (_, from, problem) => {
    expect(mailFromProblem(from)).toMatch(problem);
  });
});
