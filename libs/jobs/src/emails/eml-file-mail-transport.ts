import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { MailReceipt, MailTransport, OutgoingEmail } from './mail-transport';
import { mimeMessageOf } from './mime-message';

/**
 * Writes each email as an .eml file instead of sending it: the transport of
 * `npm start` without SMTP_URL, so that a developer can open what Baton
 * would have sent in any mail client. The file is the message an SMTP
 * server would have received, named after its Message-ID: a job's email
 * sent again replaces its file rather than adding a second one.
 */
export class EmlFileMailTransport extends MailTransport {
  readonly directory: string;

  constructor(directory: string) {
    super();
    this.directory = resolve(directory);
  }

  async send(message: OutgoingEmail): Promise<MailReceipt> {
    const eml = await new MailComposer(mimeMessageOf(message)).compile().build();
    await mkdir(this.directory, { recursive: true });
    const location = join(this.directory, `${fileNameFor(message.messageId)}.eml`);
    // Written beside its final name, then renamed: a reader (a mail client,
    // a test waiting for the file) never sees half a message.
    const partial = `${location}.${randomBytes(6).toString('hex')}.partial`;
    try {
      await writeFile(partial, eml, { mode: 0o600 });
      await rename(partial, location);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { response: `written to ${location}`, messageId: message.messageId, location };
  }

  async close(): Promise<void> {}
}

// The Message-ID without its angle brackets, in letters, digits and . _ @ -
// only, never starting with a dot, and short enough for any file system.
function fileNameFor(messageId: string): string {
  const name = messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._@-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 200);
  return name === '' ? 'message' : name;
}
