import type { MailComposerOptions } from 'nodemailer';
import type { OutgoingEmail } from './mail-transport';

/** The message nodemailer builds for `email`, the same whether it is sent or written to a file. */
export function mimeMessageOf(email: OutgoingEmail): MailComposerOptions {
  return {
    // Set as given, so that every attempt of a job carries the same Message-ID.
    messageId: email.messageId,
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    attachments: email.attachments?.map(({ filename, contentType, content }) => ({ filename, contentType, content })),
    // Contents are always Buffers and strings in hand: no field may be read
    // as a file path to open or a URL to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
