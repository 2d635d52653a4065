import { Injectable, Logger } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { InvoiceRepository } from '../invoices/invoice.repository';
import { PermanentJobFailure } from '../permanent-job-failure';
import { EmailRenderError, RenderedEmail, renderEmail } from './email-templates';
import { EmailMessageRepository } from './email-message.repository';
import { MailReceipt, MailRefusedError, MailTransport, messageIdFor, OutgoingEmail } from './mail-transport';
import { SendEmailDto } from './send-email.dto';

/** Where `npm start` says emails come from when MAIL_FROM is not set: a reserved domain no mail reaches. */
export const DEVELOPMENT_MAIL_FROM = 'Baton <baton@baton.invalid>';

@Injectable()
export class EmailService {
  private readonly logger = new Logger('EmailService');
  private readonly from: string;

  constructor(
    private readonly messages: EmailMessageRepository,
    private readonly invoices: InvoiceRepository,
    private readonly transport: MailTransport,
    config: BatonConfig,
  ) {
    this.from = config.MAIL_FROM ?? DEVELOPMENT_MAIL_FROM;
  }

  /**
   * Sends the job's email and records the server's acceptance with the
   * job's completion. False when the job was already done (a duplicate
   * delivery): then nothing is sent. A permanent refusal (5xx) ends the job
   * dead with the server's answer; anything temporary is thrown as it is,
   * to be retried with the usual backoff.
   */
  async send(jobId: string, email: SendEmailDto): Promise<boolean> {
    const runnable = await this.messages.tenantOfRunnableJob(jobId);
    if (!runnable.applied) return false;
    const tenant = runnable.result;
    const rendered = render(email);
    const message: OutgoingEmail = { messageId: messageIdFor(jobId, this.from), from: this.from, to: email.to, ...rendered };
    if (email.invoiceId !== undefined) {
      const pdf = await this.invoices.findPdf(email.invoiceId, tenant);
      // The API checked that the invoice is the tenant's; its PDF may still be rendering: retried later.
      if (!pdf) throw new Error(`invoice ${email.invoiceId} has no PDF yet`);
      message.attachments = [{ filename: `${pdf.number ?? `invoice-${email.invoiceId}`}.pdf`, contentType: 'application/pdf', content: pdf.content }];
    }

    let receipt: MailReceipt;
    try {
      receipt = await this.transport.send(message);
    } catch (error) {
      if (error instanceof MailRefusedError) throw new PermanentJobFailure(error.message);
      throw error;
    }
    const outcome = await this.messages.recordAccepted(jobId, {
      messageId: message.messageId,
      recipient: email.to,
      template: email.template,
      subject: rendered.subject,
      invoiceId: email.invoiceId ?? null,
      response: receipt.response,
    });
    if (receipt.location) this.logger.log(`job ${jobId}: email written to ${receipt.location} (no SMTP_URL: development mode)`);
    else this.logger.log(`job ${jobId} completed: email ${message.messageId} accepted (${receipt.response})`);
    return outcome.applied;
  }
}

/** The email's parts; data its template cannot render fails the same way on every attempt, so the job is dead at once. */
function render(email: SendEmailDto): RenderedEmail {
  try {
    return renderEmail(email.template, email.data as never);
  } catch (error) {
    if (error instanceof EmailRenderError) throw new PermanentJobFailure(error.message);
    throw error;
  }
}
