import { MigrationInterface, QueryRunner } from 'typeorm';

/** Jobs, with their idempotency keys and relay state; workouts with their sets; invoices with lines and PDF. */
export class CreateJobPipeline1763800000000 implements MigrationInterface {
  name = 'CreateJobPipeline1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "jobs" ("id" uuid NOT NULL, "type" text NOT NULL, "status" text NOT NULL DEFAULT 'queued', "payload" jsonb NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "max_attempts" integer NOT NULL, "result" jsonb, "last_error" text, "idempotency_key" text, "request_hash" text, "correlation_id" text, "published_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_cf0a6c42b72fcc7f7c237def345" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "jobs_status_created_idx" ON "jobs" ("status", "created_at")`);
    await queryRunner.query(`CREATE INDEX "jobs_unpublished_idx" ON "jobs" ("created_at") WHERE published_at IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "jobs_idempotency_key_uq" ON "jobs" ("idempotency_key") WHERE idempotency_key IS NOT NULL`);
    await queryRunner.query(`CREATE TABLE "invoices" ("id" uuid NOT NULL, "job_id" uuid NOT NULL, "order_id" character varying(64) NOT NULL, "customer_name" character varying(200) NOT NULL, "customer_email" character varying(320) NOT NULL, "customer_address" character varying(500), "currency" character(3) NOT NULL, "tax_rate_percent" numeric(7,4) NOT NULL, "issued_at" date NOT NULL, "subtotal_cents" bigint NOT NULL, "tax_cents" bigint NOT NULL, "total_cents" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_7b1042679bfaa0ea492081091bf" UNIQUE ("job_id"), CONSTRAINT "PK_668cef7c22a427fd822cc1be3ce" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "invoice_lines" ("invoice_id" uuid NOT NULL, "position" integer NOT NULL, "description" character varying(500) NOT NULL, "quantity" integer NOT NULL, "unit_price_cents" bigint NOT NULL, "total_cents" bigint NOT NULL, CONSTRAINT "PK_5d7d64cb2e3739cfa97ca6c6185" PRIMARY KEY ("invoice_id", "position"))`);
    await queryRunner.query(`CREATE TABLE "invoice_pdfs" ("invoice_id" uuid NOT NULL, "content" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a52232dfd8e5c2c68193f49c91a" PRIMARY KEY ("invoice_id"))`);
    await queryRunner.query(`CREATE TABLE "workouts" ("id" uuid NOT NULL, "job_id" uuid NOT NULL, "user_id" character varying(64) NOT NULL, "activity" text NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "duration_sec" integer NOT NULL, "distance_m" double precision, "calories" integer, "notes" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_a1e62fbf26584229f366c9ad995" UNIQUE ("job_id"), CONSTRAINT "PK_5b2319bf64a674d40237dbb1697" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "workouts_user_started_idx" ON "workouts" ("user_id", "started_at")`);
    await queryRunner.query(`CREATE TABLE "workout_sets" ("workout_id" uuid NOT NULL, "position" integer NOT NULL, "exercise" character varying(100) NOT NULL, "reps" integer NOT NULL, "weight_kg" double precision, CONSTRAINT "PK_a259f11e12236aa5ef0d5d05e55" PRIMARY KEY ("workout_id", "position"))`);
    await queryRunner.query(`ALTER TABLE "invoices" ADD CONSTRAINT "invoices_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "invoice_pdfs" ADD CONSTRAINT "invoice_pdfs_invoice_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "workouts" ADD CONSTRAINT "workouts_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "workout_sets" ADD CONSTRAINT "workout_sets_workout_id_fk" FOREIGN KEY ("workout_id") REFERENCES "workouts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "workout_sets"`);
    await queryRunner.query(`DROP TABLE "workouts"`);
    await queryRunner.query(`DROP TABLE "invoice_pdfs"`);
    await queryRunner.query(`DROP TABLE "invoice_lines"`);
    await queryRunner.query(`DROP TABLE "invoices"`);
    await queryRunner.query(`DROP TABLE "jobs"`);
  }
}
