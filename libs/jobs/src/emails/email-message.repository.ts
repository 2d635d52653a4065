import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventType } from '@baton/contracts';
import { connected, EffectOutcome, JobExecutionRepository } from '@baton/persistence';
import { EmailMessageEntity } from './email-message.entity';

/** What is recorded of an email once its server accepted it. */
export interface AcceptedEmail {
  messageId: string;
  recipient: string;
  template: string;
  subject: string;
  invoiceId: string | null;
  response: string;
}

/** The job's result: what a client reads back from GET /v1/jobs/:id. */
export interface SentEmailResult {
  messageId: string;
  to: string;
  subject: string;
  acceptedAt: string;
}

@Injectable()
export class EmailMessageRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly jobs: JobExecutionRepository,
  ) {}

  /** The tenant of a job that may still run; not applied when the job is already finished (a duplicate delivery). */
  tenantOfRunnableJob(jobId: string): Promise<EffectOutcome<string>> {
    return this.jobs.prepareWith(jobId, async (_sql, job) => job.tenant);
  }

  /**
   * Records the server's acceptance and completes the job, with its
   * `email.sent` event, in one
   * transaction: the only moment a crash can make the email go twice is
   * between the server's answer and this commit.
   */
  recordAccepted(jobId: string, email: AcceptedEmail): Promise<EffectOutcome<SentEmailResult>> {
    return this.jobs.completeWith(jobId, async (sql, job, events) => {
      const [row] = await sql.query(
        `INSERT INTO email_messages (job_id, tenant, message_id, recipient, template, subject, invoice_id, response)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING accepted_at`,
        [jobId, job.tenant, email.messageId, email.recipient, email.template, email.subject, email.invoiceId, email.response],
      );
      const acceptedAt = new Date(row.accepted_at as string).toISOString();
      events.record(EventType.EmailSent, { messageId: email.messageId, template: email.template, to: email.recipient, subject: email.subject, invoiceId: email.invoiceId, acceptedAt });
      return { messageId: email.messageId, to: email.recipient, subject: email.subject, acceptedAt };
    });
  }

  findByJob(jobId: string): Promise<EmailMessageEntity | null> {
    return connected(this.dataSource).getRepository(EmailMessageEntity).findOneBy({ jobId });
  }
}
