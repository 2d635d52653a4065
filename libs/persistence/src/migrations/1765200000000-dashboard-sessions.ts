import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dashboard's sign-in sessions. Kept in PostgreSQL, so that every API
 * replica knows a session whichever one signed it in. Only a hash of the
 * session's token is stored: a copy of the table signs no one in. A session
 * goes with its API key: deleting the key deletes it, and a revoked key's
 * sessions are refused (they are read joined to the key).
 */
export class DashboardSessions1765200000000 implements MigrationInterface {
  name = 'DashboardSessions1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "dashboard_sessions" (
        "token_hash" text NOT NULL,
        "api_key_id" uuid NOT NULL REFERENCES "api_keys" ("id") ON DELETE CASCADE,
        "csrf_token" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "dashboard_sessions_pkey" PRIMARY KEY ("token_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX "dashboard_sessions_expires_idx" ON "dashboard_sessions" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "dashboard_sessions"`);
  }
}
