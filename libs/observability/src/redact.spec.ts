import { redactSecrets } from './redact';

describe(redactSecrets.name, () => {
  it.each([
    ['connect to amqp://baton:s3cret@mq:5672/baton failed', 'connect to amqp://***@mq:5672/baton failed'],
    ['postgres://baton:pa%40ss@db:5432/baton', 'postgres://***@db:5432/baton'],
    ['amqps://user:pw@host and postgresql://u:p@h', 'amqps://***@host and postgresql://***@h'],
    ['host=db password=hunter2 user=baton', 'host=db password=*** user=baton'],
    ['Authorization: Bearer bk_live_abc.DEF-123', 'Authorization: Bearer ***'],
  ])('hides the credential in %j', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('leaves text without credentials alone', () => {
    const text = 'job 5b0f failed attempt 2 of 5: duplicate key value violates unique constraint';
    expect(redactSecrets(text)).toBe(text);
  });
});
