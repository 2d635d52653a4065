import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An email's record (its Message-ID, what the server answered) outlives its
 * job, which retention deletes once finished: the foreign key that deleted
 * the record with the job goes. `job_id` stays the primary key.
 */
export class EmailMessagesOutliveJobs1764700000001 implements MigrationInterface {
  name = 'EmailMessagesOutliveJobs1764700000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "email_messages" DROP CONSTRAINT IF EXISTS "email_messages_job_id_fk"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID`,
    );
  }
}
