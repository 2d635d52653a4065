import { JobType } from '@baton/contracts';
import { defineJob } from '../job-definition';
import { EmailAttachmentAdmission } from './email-attachment.admission';
import { EmailMessageEntity } from './email-message.entity';
import { EmailMessageRepository } from './email-message.repository';
import { EmailMessages1764400000000 } from './1764400000000-email-messages';
import { EmailMessagesOutliveJobs1764700000001 } from './1764700000001-email-messages-outlive-jobs';
import { SendEmailDto } from './send-email.dto';

export const emailJob = defineJob({
  type: JobType.Email,
  payload: SendEmailDto,
  path: 'v1/emails',
  summary: 'sends a transactional email over SMTP, with an invoice PDF attached if asked',
  worker: () => import('./email-worker.module').then((loaded) => loaded.EmailWorkerModule),
  workerRequires: ['SMTP_URL', 'MAIL_FROM'],
  entities: [EmailMessageEntity],
  migrations: [EmailMessages1764400000000, EmailMessagesOutliveJobs1764700000001],
  providers: [EmailMessageRepository],
  admission: EmailAttachmentAdmission,
  // A verification or password-reset link carries the token that acts for the user.
  secretFields: ['data.actionUrl'],
});
