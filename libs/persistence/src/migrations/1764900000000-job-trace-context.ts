import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trace context of the request that submitted a job (W3C `traceparent`
 * and `tracestate`, as JSON), so that a job published later than its
 * request (by the relay after a broker outage, when it falls due, on a
 * retry or a replay) still continues that request's trace. Null for jobs
 * accepted while tracing was off, and for a schedule's jobs, each of which
 * starts a trace of its own. Adding a nullable column with no default
 * rewrites nothing, so it does not hold the table up.
 */
export class JobTraceContext1764900000000 implements MigrationInterface {
  name = 'JobTraceContext1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD COLUMN IF NOT EXISTS "trace_context" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "trace_context"`);
  }
}
