import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention: finished jobs are deleted after a while, their results kept.
 *
 * Workouts and invoices no longer reference their job: they are the user's
 * records and outlive the job's bookkeeping. Their `job_id` stays UNIQUE,
 * which is what keeps a job's second delivery from storing a second one.
 * `expired_jobs` keeps the id and tenant of each deleted job, so that
 * `GET /v1/jobs/:id` can answer `410 Gone` to the tenant that owned it.
 *
 * The index on finished jobs is built CONCURRENTLY, outside a transaction,
 * so that migrating a large `jobs` table does not stop the API accepting
 * jobs meanwhile; every statement may run again after an interrupted run
 * (an interrupted concurrent build leaves an invalid index, dropped first).
 */
export class JobRetention1764700000000 implements MigrationInterface {
  name = 'JobRetention1764700000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "workouts" DROP CONSTRAINT IF EXISTS "workouts_job_id_fk"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP CONSTRAINT IF EXISTS "invoices_job_id_fk"`);
    await queryRunner.query(`CREATE TABLE IF NOT EXISTS "expired_jobs" (
      "id" uuid NOT NULL, "tenant" text NOT NULL, "type" text NOT NULL, "status" text NOT NULL,
      "expired_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "expired_jobs_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "expired_jobs_type_expired_idx" ON "expired_jobs" ("type", "expired_at")`);
    // The build reads the whole table: more than the 30 s statement bound on a large one.
    await queryRunner.query(`SET statement_timeout = 0`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "jobs_finished_idx"`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY "jobs_finished_idx" ON "jobs" ("type", "status", "updated_at") WHERE status IN ('completed', 'dead', 'cancelled')`,
    );
    await queryRunner.query(`RESET statement_timeout`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "jobs_finished_idx"`);
    await queryRunner.query(`DROP TABLE IF EXISTS "expired_jobs"`);
    // Results whose job has expired would break the constraints: they are kept, and the constraints come back NOT VALID.
    await queryRunner.query(
      `ALTER TABLE "invoices" ADD CONSTRAINT "invoices_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID`,
    );
    await queryRunner.query(
      `ALTER TABLE "workouts" ADD CONSTRAINT "workouts_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION NOT VALID`,
    );
  }
}
