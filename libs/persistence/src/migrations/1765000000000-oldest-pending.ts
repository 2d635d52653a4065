import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The oldest waiting job of each type, for baton_queue_oldest_pending_seconds:
 * a partial index on the `queued` jobs alone, by type and due time (a
 * delayed job's `run_at`, else its `created_at`), so that the oldest one
 * of a type is the first entry of the index, however many jobs the table
 * holds. The expression is the one QueueAgeRepository orders by, word for
 * word, or the planner would not use it.
 *
 * Built CONCURRENTLY, outside a transaction, as jobs_finished_idx is, so
 * that migrating a large `jobs` table does not stop the API meanwhile.
 */
export class OldestPending1765000000000 implements MigrationInterface {
  name = 'OldestPending1765000000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET statement_timeout = 0`);
    // An interrupted concurrent build leaves an invalid index behind.
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "jobs_pending_due_idx"`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY "jobs_pending_due_idx" ON "jobs" ("type", (coalesce("run_at", "created_at"))) WHERE status = 'queued'`,
    );
    await queryRunner.query(`RESET statement_timeout`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "jobs_pending_due_idx"`);
  }
}
