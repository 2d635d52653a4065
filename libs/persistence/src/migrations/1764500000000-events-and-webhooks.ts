import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event outbox, and the webhook endpoints and deliveries fed from it.
 *
 * An event is written in the transaction of the effect it describes and
 * published by the relay afterwards (`published_at`). The deliveries of an
 * event, one per subscribed endpoint, are written in that same transaction;
 * the relay publishes each when it is due (`next_attempt_at`), and a
 * failed attempt makes it due again later.
 */
export class EventsAndWebhooks1764500000000 implements MigrationInterface {
  name = 'EventsAndWebhooks1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "events" (
      "id" uuid NOT NULL, "type" text NOT NULL, "tenant" text NOT NULL, "job_id" uuid, "correlation_id" text,
      "data_version" integer NOT NULL DEFAULT 1, "data" jsonb NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "events_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "events_unpublished_idx" ON "events" ("created_at") WHERE published_at IS NULL`);
    await queryRunner.query(`CREATE TABLE "webhook_endpoints" (
      "id" uuid NOT NULL, "tenant" text NOT NULL, "url" text NOT NULL, "events" text[] NOT NULL, "description" text,
      "disabled" boolean NOT NULL DEFAULT false, "disabled_reason" text,
      "secret" text NOT NULL, "previous_secret" text, "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "webhook_endpoints_tenant_idx" ON "webhook_endpoints" ("tenant", "created_at")`);
    await queryRunner.query(`CREATE TABLE "webhook_deliveries" (
      "id" uuid NOT NULL, "endpoint_id" uuid NOT NULL, "event_id" uuid NOT NULL, "tenant" text NOT NULL, "event_type" text NOT NULL,
      "status" text NOT NULL DEFAULT 'pending', "attempts" jsonb NOT NULL DEFAULT '[]', "scheduled_attempts" integer NOT NULL DEFAULT 0,
      "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
      CONSTRAINT "webhook_deliveries_endpoint_fk" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE,
      CONSTRAINT "webhook_deliveries_event_fk" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE,
      CONSTRAINT "webhook_deliveries_endpoint_event_uq" UNIQUE ("endpoint_id", "event_id"))`);
    await queryRunner.query(`CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" ("next_attempt_at") WHERE status = 'pending' AND published_at IS NULL`);
    await queryRunner.query(`CREATE INDEX "webhook_deliveries_tenant_idx" ON "webhook_deliveries" ("tenant", "created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" ("event_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
    await queryRunner.query(`DROP TABLE "events"`);
  }
}
