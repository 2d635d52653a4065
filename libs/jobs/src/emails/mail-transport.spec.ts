import { MailRefusedError, MailUnavailableError, messageIdFor } from './mail-transport';

const JOB_ID = '5b0f3c1e-2a4d-4e6f-8a9b-0c1d2e3f4a5b';

describe(messageIdFor.name, () => {
  it.each<[string, string]>([
    ['noreply@example.com', `<${JOB_ID}@example.com>`],
    ['Example Shop <noreply@Mail.Example.COM>', `<${JOB_ID}@mail.example.com>`],
    ['"Example, Inc." <noreply@example.com>', `<${JOB_ID}@example.com>`],
    ['Bücher <info@bücher.example>', `<${JOB_ID}@xn--bcher-kva.example>`],
    ['Baton <baton@localhost>', `<${JOB_ID}@localhost>`],
    ['no address at all', `<${JOB_ID}@baton.invalid>`],
    ['Broken <noreply@>', `<${JOB_ID}@baton.invalid>`],
    ['noreply@exa mple.com', `<${JOB_ID}@baton.invalid>`],
  ])('is made of the job id and the domain of %s', (from, messageId) => {
    expect(messageIdFor(JOB_ID, from)).toBe(messageId);
  });

  it('is the same for every attempt of a job', () => {
    expect(messageIdFor(JOB_ID, 'noreply@example.com')).toBe(messageIdFor(JOB_ID, 'noreply@example.com'));
  });

  it.each(['', 'a b', 'job>\r\nBcc: eve@example.com', '<job>', '.job'])('refuses a job id that cannot stand in a Message-ID: %j', (jobId) => {
    expect(() => messageIdFor(jobId, 'noreply@example.com')).toThrow(/Message-ID/);
  });
});

describe('mail errors', () => {
  it('carry what the job runner and an operator need', () => {
    const refused = new MailRefusedError(550, '550 5.1.1 mailbox unavailable');
    const unavailable = new MailUnavailableError('connect ECONNREFUSED 127.0.0.1:25');

    expect(refused).toMatchObject({ name: 'MailRefusedError', responseCode: 550, response: '550 5.1.1 mailbox unavailable' });
    expect(refused.message).toBe('the mail server refused the email: 550 5.1.1 mailbox unavailable');
    expect(unavailable).toMatchObject({ name: 'MailUnavailableError', message: 'the email could not be sent now: connect ECONNREFUSED 127.0.0.1:25' });
    expect(refused).toBeInstanceOf(Error);
    expect(unavailable).toBeInstanceOf(Error);
  });
});
