import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An email a mail server accepted, one per job: written in the transaction
 * that completes the job, so a redelivered job finds its job completed and
 * sends nothing again.
 */
@Entity({ name: 'email_messages' })
export class EmailMessageEntity {
  /** No foreign key: the record outlives its job, which retention deletes once finished. */
  @PrimaryColumn('uuid', { name: 'job_id' })
  jobId: string;

  @Column('text')
  tenant: string;

  /** The Message-ID header, derived from the job id: a copy sent twice is recognisable by it. */
  @Column('text', { name: 'message_id' })
  messageId: string;

  @Column('varchar', { length: 254 })
  recipient: string;

  @Column('text')
  template: string;

  @Column('text')
  subject: string;

  /** The invoice whose PDF was attached. */
  @Column('uuid', { name: 'invoice_id', nullable: true })
  invoiceId: string | null;

  /** What the server answered on acceptance (`250 2.0.0 Ok: queued as ...`), or where the file was written in development. */
  @Column('text')
  response: string;

  @Column('timestamptz', { name: 'accepted_at', default: () => 'now()' })
  acceptedAt: Date;
}
