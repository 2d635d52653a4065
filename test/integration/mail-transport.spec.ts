/**
 * The mail transports against a real SMTP server: smtp-server in a process
 * of its own (test/support/smtp-server.ts), refusing, answering slowly,
 * stopped and restarted as a relay can be. Nothing here needs PostgreSQL or
 * RabbitMQ, so every test runs in both test modes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EmlFileMailTransport, MailRefusedError, MailUnavailableError, messageIdFor, OutgoingEmail, SmtpMailTransport } from '@baton/jobs';
import { ParsedEmail, parseEmail, TestSmtpServer } from '../support/smtp-server';

const FROM = 'Baton Tests <noreply@example.com>';

// Every byte value, behind a PDF's signature: an attachment that survives
// transfer encoding only if it is carried byte for byte.
const ATTACHMENT = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4096 }, (_, index) => index % 256))]);

function outgoing(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    messageId: messageIdFor(randomUUID(), FROM),
    from: FROM,
    to: 'ada@example.com',
    subject: 'Your order Ł-1 is confirmed: €59.97',
    html: '<p>Hello Zoë,</p>\n<p>Thank you for your order <strong>Ł-1</strong>.</p>\n',
    text: 'Hello Zoë,\n\nThank you for your order Ł-1.\n',
    attachments: [{ filename: 'invoice-Ł-1.pdf', contentType: 'application/pdf', content: ATTACHMENT }],
    ...overrides,
  };
}

/** The email as a mail client reads it is the one that was sent: headers, both parts, the attachment's bytes. */
function expectSameEmail(received: ParsedEmail, sent: OutgoingEmail): void {
  expect(received.messageId).toBe(sent.messageId);
  expect(received.from).toEqual(['noreply@example.com']);
  expect(received.to).toEqual([sent.to]);
  expect(received.subject).toBe(sent.subject);
  expect(received.html).toBe(sent.html);
  expect(received.text).toBe(sent.text);
  expect(received.attachments.map(({ filename, contentType }) => ({ filename, contentType }))).toEqual(
    (sent.attachments ?? []).map(({ filename, contentType }) => ({ filename, contentType })),
  );
  received.attachments.forEach((attachment, index) => expect(attachment.content.equals(sent.attachments![index].content)).toBe(true));
}

async function failureOf(sending: Promise<unknown>): Promise<Error> {
  const outcome = await sending.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected the send to fail, but it ${outcome === undefined ? 'succeeded' : `threw ${String(outcome)}`}`);
  return outcome;
}

describe(SmtpMailTransport.name, () => {
  let server: TestSmtpServer;
  let transport: SmtpMailTransport;

  beforeAll(async () => {
    server = await TestSmtpServer.start();
    transport = new SmtpMailTransport(server.url);
  });

  afterEach(async () => {
    if (server.running) await server.reset();
  });

  afterAll(async () => {
    await transport?.close();
    await server?.close();
  });

  it('hands the email over whole: both parts, the attachment byte for byte, the Message-ID as given', async () => {
    const before = (await server.messages()).length;
    const sent = outgoing();

    const receipt = await transport.send(sent);

    expect(receipt).toEqual({ messageId: sent.messageId, response: expect.stringMatching(/^250 /) });
    const received = (await server.waitForMessages(before + 1)).find((message) => message.messageId === sent.messageId);
    expect(received).toBeDefined();
    expect(received!.envelope).toEqual({ from: 'noreply@example.com', to: ['ada@example.com'] });
    expectSameEmail(received!, sent);
  });

  it('reports a permanent refusal (5xx) as MailRefusedError with the reply code and text', async () => {
    await server.refuse(/^gone@/, 550, '5.1.1 mailbox unavailable');
    const before = (await server.messages()).length;

    const failure = await failureOf(transport.send(outgoing({ to: 'gone@example.com' })));

    expect(failure).toBeInstanceOf(MailRefusedError);
    expect(failure).toMatchObject({ name: 'MailRefusedError', responseCode: 550 });
    expect(failure.message).toContain('550 5.1.1 mailbox unavailable');
    expect(await server.messages()).toHaveLength(before);
  });

  it('reports a temporary refusal (4xx) as MailUnavailableError with the reply', async () => {
    await server.refuse(/^busy@/, 451, '4.3.0 try again later');

    const failure = await failureOf(transport.send(outgoing({ to: 'busy@example.com' })));

    expect(failure).toBeInstanceOf(MailUnavailableError);
    expect(failure.name).toBe('MailUnavailableError');
    expect(failure.message).toContain('451 4.3.0 try again later');
  });

  it('fails at once with MailUnavailableError while the server is down, and delivers once it is back', async () => {
    const before = (await server.messages()).length;
    await server.stop();

    const started = Date.now();
    const failure = await failureOf(transport.send(outgoing()));

    expect(failure).toBeInstanceOf(MailUnavailableError);
    expect(failure.message).toContain('ECONNREFUSED');
    // A refused connection is known at once: nothing waits for a timeout.
    expect(Date.now() - started).toBeLessThan(2_000);

    await server.restart();
    const sent = outgoing();
    await transport.send(sent);
    const messages = await server.waitForMessages(before + 1);
    expect(messages).toHaveLength(before + 1); // the mailbox outlived the stop
    expectSameEmail(messages.at(-1)!, sent);
  });

  it('gives up on a server that does not answer after its socket timeout, with MailUnavailableError', async () => {
    // A server of its own: the slow message is stored after this test is done with it.
    const slow = await TestSmtpServer.start();
    const impatient = new SmtpMailTransport(slow.url, { socketTimeout: 300 });
    try {
      await slow.delay(5_000);
      const started = Date.now();

      const failure = await failureOf(impatient.send(outgoing()));

      expect(failure).toBeInstanceOf(MailUnavailableError);
      expect(failure.message).toMatch(/ETIMEDOUT/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await impatient.close();
      await slow.close();
    }
  });

  it('does not log in over a connection the server offers no STARTTLS on: credentials never travel in the clear', async () => {
    const withCredentials = new SmtpMailTransport(`smtp://relay-user:relay-secret@127.0.0.1:${server.port}`);
    try {
      const before = (await server.messages()).length;

      const failure = await failureOf(withCredentials.send(outgoing()));

      expect(failure).toBeInstanceOf(MailUnavailableError);
      expect(failure.message).toMatch(/STARTTLS/);
      expect(failure.message).not.toContain('relay-secret');
      expect(await server.messages()).toHaveLength(before);
    } finally {
      await withCredentials.close();
    }
  });

  // smtp-server's built-in certificate for localhost is self-signed (and expired): no client that verifies accepts it.
  it('keeps certificate verification on: a STARTTLS server whose certificate cannot be verified is MailUnavailableError', async () => {
    const untrusted = await TestSmtpServer.start({ starttls: true });
    const verifying = new SmtpMailTransport(untrusted.url);
    try {
      const failure = await failureOf(verifying.send(outgoing()));

      expect(failure).toBeInstanceOf(MailUnavailableError);
      expect(failure.message).toMatch(/certificate/i);
      expect(await untrusted.messages()).toHaveLength(0);
    } finally {
      await verifying.close();
      await untrusted.close();
    }
  });
});

describe(EmlFileMailTransport.name, () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'baton-eml-'));
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the email an SMTP server would receive as a parseable .eml named after its Message-ID, creating its directory', async () => {
    const directory = join(root, 'written', 'mail');
    const jobId = randomUUID();
    const sent = outgoing({ messageId: messageIdFor(jobId, FROM) });

    const receipt = await new EmlFileMailTransport(directory).send(sent);

    expect(receipt).toEqual({ messageId: sent.messageId, location: join(directory, `${jobId}@example.com.eml`), response: expect.any(String) });
    // Renamed into place: no partial file is left beside it.
    expect(await readdir(directory)).toEqual([`${jobId}@example.com.eml`]);
    expectSameEmail(await parseEmail(await readFile(receipt.location!)), sent);
  });

  it('replaces the file when the same email is written again, as a retried job would', async () => {
    const directory = join(root, 'again');
    const transport = new EmlFileMailTransport(directory);
    const first = outgoing({ subject: 'first attempt' });
    const second = { ...first, subject: 'second attempt' };

    const receipts = [await transport.send(first), await transport.send(second)];

    expect(receipts[1].location).toBe(receipts[0].location);
    expect(await readdir(directory)).toEqual([basename(receipts[0].location!)]);
    expect((await parseEmail(await readFile(receipts[1].location!))).subject).toBe('second attempt');
  });

  it('keeps a Message-ID that reads as a path inside its directory', async () => {
    const directory = join(root, 'confined');

    const receipt = await new EmlFileMailTransport(directory).send(outgoing({ messageId: '<../../escaped/x@example.com>' }));

    expect(await readdir(directory)).toEqual([basename(receipt.location!)]);
    expect(receipt.location!.startsWith(`${directory}/`)).toBe(true);
    expect(await readdir(root)).not.toContain('escaped');
  });
});
