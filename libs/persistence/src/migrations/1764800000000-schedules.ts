import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recurring schedules: a cron expression in a time zone, the job it
 * creates, and the time of its next tick, by which the API's ticker finds
 * the schedules that are due. The jobs a tick creates carry the schedule's
 * id and the tick (jobs_schedule_tick_uq), which is what makes each tick
 * create one job; there is no foreign key, so that a deleted schedule's
 * jobs stay listed by its id.
 */
export class Schedules1764800000000 implements MigrationInterface {
  name = 'Schedules1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "schedules" (
      "id" uuid NOT NULL, "tenant" text NOT NULL, "name" text NOT NULL, "cron" text NOT NULL, "timezone" text NOT NULL,
      "type" text NOT NULL, "payload" jsonb NOT NULL, "paused" boolean NOT NULL DEFAULT false,
      "next_run_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "schedules_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "schedules_due_idx" ON "schedules" ("next_run_at") WHERE NOT paused`);
    await queryRunner.query(`CREATE INDEX "schedules_tenant_idx" ON "schedules" ("tenant", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "schedules"`);
  }
}
