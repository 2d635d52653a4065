import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys, stored only as SHA-256 hashes, each belonging to a tenant; every
 * job, workout and invoice gets the tenant whose key created it. Rows from
 * before tenants existed belong to the tenant `default`. Idempotency keys
 * become unique per tenant.
 */
export class TenantsAndApiKeys1764000000000 implements MigrationInterface {
  name = 'TenantsAndApiKeys1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL, "tenant" text NOT NULL, "name" text, "scopes" text[] NOT NULL, "key_hash" text NOT NULL, "key_prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "api_keys_key_hash_uq" ON "api_keys" ("key_hash")`);
    for (const table of ['jobs', 'workouts', 'invoices']) {
      // The default only fills existing rows: new rows must say their tenant.
      await queryRunner.query(`ALTER TABLE "${table}" ADD "tenant" text NOT NULL DEFAULT 'default'`);
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "tenant" DROP DEFAULT`);
    }
    await queryRunner.query(`ALTER TABLE "jobs" ADD "api_key_id" uuid`);
    await queryRunner.query(`DROP INDEX "jobs_idempotency_key_uq"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "jobs_idempotency_key_uq" ON "jobs" ("tenant", "idempotency_key") WHERE idempotency_key IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "jobs_tenant_created_idx" ON "jobs" ("tenant", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "jobs_tenant_created_idx"`);
    await queryRunner.query(`DROP INDEX "jobs_idempotency_key_uq"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "jobs_idempotency_key_uq" ON "jobs" ("idempotency_key") WHERE idempotency_key IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "api_key_id"`);
    for (const table of ['invoices', 'workouts', 'jobs']) await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "tenant"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
