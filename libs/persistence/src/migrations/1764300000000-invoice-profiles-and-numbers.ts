import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each tenant's seller profile (printed on its invoices) and a counter per
 * tenant and year from which invoices take gapless numbers. Invoices get
 * their number, unique per tenant, and the seller they were printed with
 * (its logo kept once per image in invoice_logos); invoices stored before
 * keep all three null.
 */
export class InvoiceProfilesAndNumbers1764300000000 implements MigrationInterface {
  name = 'InvoiceProfilesAndNumbers1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "invoice_profiles" ("tenant" text NOT NULL, "name" text NOT NULL, "address" text NOT NULL, "tax_id" text NOT NULL, "logo_content_type" text, "logo" bytea, "footer" text, "number_prefix" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "invoice_profiles_pkey" PRIMARY KEY ("tenant"))`);
    await queryRunner.query(`CREATE TABLE "invoice_number_counters" ("tenant" text NOT NULL, "year" integer NOT NULL, "last_value" integer NOT NULL, CONSTRAINT "invoice_number_counters_pkey" PRIMARY KEY ("tenant", "year"))`);
    await queryRunner.query(`ALTER TABLE "invoices" ADD "number" text`);
    await queryRunner.query(`ALTER TABLE "invoices" ADD "seller" jsonb`);
    await queryRunner.query(`CREATE TABLE "invoice_logos" ("sha256" bytea NOT NULL, "content_type" text NOT NULL, "data" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "invoice_logos_pkey" PRIMARY KEY ("sha256"))`);
    await queryRunner.query(`ALTER TABLE "invoices" ADD "seller_logo" bytea`);
    await queryRunner.query(`ALTER TABLE "invoices" ADD CONSTRAINT "invoices_seller_logo_fk" FOREIGN KEY ("seller_logo") REFERENCES "invoice_logos"("sha256") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE UNIQUE INDEX "invoices_tenant_number_uq" ON "invoices" ("tenant", "number")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "invoices_tenant_number_uq"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP CONSTRAINT "invoices_seller_logo_fk"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP COLUMN "seller_logo"`);
    await queryRunner.query(`DROP TABLE "invoice_logos"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP COLUMN "seller"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP COLUMN "number"`);
    await queryRunner.query(`DROP TABLE "invoice_number_counters"`);
    await queryRunner.query(`DROP TABLE "invoice_profiles"`);
  }
}
