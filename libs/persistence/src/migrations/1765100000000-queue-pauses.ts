import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queues an operator paused: a row per paused queue, deleted at resume.
 * Kept in PostgreSQL, not in RabbitMQ, so that a pause outlives every
 * process and broker restart and every worker replica reads the same answer.
 */
export class QueuePauses1765100000000 implements MigrationInterface {
  name = 'QueuePauses1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "queue_pauses" ("queue" text NOT NULL, "paused_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "paused_by" text NOT NULL, CONSTRAINT "queue_pauses_pkey" PRIMARY KEY ("queue"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "queue_pauses"`);
  }
}
