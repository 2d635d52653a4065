import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each index, and the statement that builds it. */
const INDEXES: Array<[name: string, definition: string]> = [
  // Any payload field by containment (`payload @> '{"userId":"u-42"}'`); jsonb_path_ops is usually much
  // smaller than the default operator class and serves @> alone, which is all the search asks of it.
  ['jobs_payload_idx', `ON "jobs" USING gin ("payload" jsonb_path_ops)`],
  ['jobs_correlation_idx', `ON "jobs" ("correlation_id") WHERE correlation_id IS NOT NULL`],
  // jobs_idempotency_key_uq leads with the tenant: an operator's search crosses tenants.
  ['jobs_idempotency_key_idx', `ON "jobs" ("idempotency_key") WHERE idempotency_key IS NOT NULL`],
  // Every tenant's newest jobs, an operator's first page (or one filtered by type or time alone): without it,
  // a sort of the whole table, half a second at 1,000,000 jobs (bench scenario 10).
  ['jobs_created_idx', `ON "jobs" ("created_at")`],
  // A job's webhook deliveries: webhook_deliveries.event_id → events.id, events.job_id.
  ['events_job_idx', `ON "events" ("job_id") WHERE job_id IS NOT NULL`],
];

/**
 * The dashboard's job list and search (JobSearchRepository): a job by its
 * id, its correlation id or its idempotency key, or by a payload field, and
 * the newest jobs, across tenants, without reading the whole table.
 *
 * Built CONCURRENTLY, outside a transaction, as jobs_finished_idx is, so
 * that migrating a large `jobs` table does not stop the API meanwhile;
 * every statement may run again after an interrupted run.
 */
export class JobSearch1765300000000 implements MigrationInterface {
  name = 'JobSearch1765300000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    // The builds read the whole table: more than the 30 s statement bound on a large one.
    await queryRunner.query(`SET statement_timeout = 0`);
    for (const [name, definition] of INDEXES) {
      // An interrupted concurrent build leaves an invalid index behind.
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ${definition}`);
    }
    await queryRunner.query(`RESET statement_timeout`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of [...INDEXES].reverse()) await queryRunner.query(`DROP INDEX IF EXISTS "${name}"`);
  }
}
