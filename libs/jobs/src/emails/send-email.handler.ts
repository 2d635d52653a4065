import { JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { JobHandler, JobHandlerOf } from '../job-handler.decorator';
import { EmailService } from './email.service';
import { SendEmailDto } from './send-email.dto';

@JobHandler(JobType.Email)
export class SendEmailHandler implements JobHandlerOf<SendEmailDto> {
  constructor(private readonly emails: EmailService) {}

  handle(email: SendEmailDto, context: JobContext): Promise<boolean> {
    return this.emails.send(context.delivery.jobId!, email);
  }
}
