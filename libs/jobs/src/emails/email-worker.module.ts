import { resolve } from 'node:path';
import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { EmailService } from './email.service';
import { EmlFileMailTransport } from './eml-file-mail-transport';
import { MailTransport } from './mail-transport';
import { SmtpMailTransport } from './smtp-mail-transport';
import { SendEmailHandler } from './send-email.handler';

/**
 * Over SMTP_URL; without it, each email is written as an .eml file under
 * BATON_DATA_DIR/mail. Only `npm start` can get there: a worker process
 * that consumes emails refuses to start without SMTP_URL (the type's
 * `workerRequires`), so production never falls back to files.
 */
function mailTransport(config: BatonConfig): MailTransport {
  return config.SMTP_URL ? new SmtpMailTransport(config.SMTP_URL) : new EmlFileMailTransport(resolve(config.BATON_DATA_DIR, 'mail'));
}

@Module({
  controllers: [SendEmailHandler],
  providers: [EmailService, { provide: MailTransport, inject: [BatonConfig], useFactory: mailTransport }],
})
export class EmailWorkerModule implements OnApplicationShutdown {
  constructor(@Inject(MailTransport) private readonly transport: MailTransport) {}

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}
