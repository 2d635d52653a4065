import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each attempt's error kept on the job (bounded, newest last), and the index
 * behind GET /v1/jobs: a tenant's jobs newest first, by status.
 */
export class JobOperations1764100000000 implements MigrationInterface {
  name = 'JobOperations1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "errors" jsonb NOT NULL DEFAULT '[]'`);
    await queryRunner.query(`CREATE INDEX "jobs_tenant_status_created_idx" ON "jobs" ("tenant", "status", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "jobs_tenant_status_created_idx"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "errors"`);
  }
}
