import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs that run later: a submission's options, the time a `scheduled` job
 * is due (and the index the relay finds due jobs by), and the schedule and
 * tick a job was created for, unique together so that a tick can never
 * create two jobs, whatever the number of API replicas.
 */
export class DelayedJobs1764600000000 implements MigrationInterface {
  name = 'DelayedJobs1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "options" jsonb`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "run_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "schedule_id" uuid`);
    await queryRunner.query(`ALTER TABLE "jobs" ADD "scheduled_for" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "jobs_due_idx" ON "jobs" ("run_at") WHERE status = 'scheduled'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "jobs_schedule_tick_uq" ON "jobs" ("schedule_id", "scheduled_for") WHERE schedule_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "jobs_schedule_tick_uq"`);
    await queryRunner.query(`DROP INDEX "jobs_due_idx"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "scheduled_for"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "schedule_id"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "run_at"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "options"`);
  }
}
