import { MigrationInterface, QueryRunner } from 'typeorm';

/** The emails job type's table: each accepted email, by job. */
export class EmailMessages1764400000000 implements MigrationInterface {
  name = 'EmailMessages1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "email_messages" ("job_id" uuid NOT NULL, "tenant" text NOT NULL, "message_id" text NOT NULL, "recipient" character varying(254) NOT NULL, "template" text NOT NULL, "subject" text NOT NULL, "invoice_id" uuid, "response" text NOT NULL, "accepted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "email_messages_pkey" PRIMARY KEY ("job_id"))`);
    await queryRunner.query(`ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "email_messages"`);
  }
}
