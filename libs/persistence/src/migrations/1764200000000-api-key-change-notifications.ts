import { MigrationInterface, QueryRunner } from 'typeorm';

/** The channel on which PostgreSQL announces API key changes; the payload is the key's hash. */
export const API_KEY_CHANGES_CHANNEL = 'baton_api_keys';

/**
 * Every change to a key that matters for authentication (revoked, rescoped,
 * moved, deleted) is announced on baton_api_keys when it commits, whoever
 * makes it: the CLI, a migration or an operator's own SQL. API replicas
 * listen and forget the key at once. last_used_at is left out: it changes
 * once a minute per replica and grants nothing.
 */
export class ApiKeyChangeNotifications1764200000000 implements MigrationInterface {
  name = 'ApiKeyChangeNotifications1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "baton_notify_api_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${API_KEY_CHANGES_CHANNEL}', OLD.key_hash);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER "api_keys_changed"
      AFTER UPDATE OF "key_hash", "tenant", "scopes", "revoked_at" OR DELETE ON "api_keys"
      FOR EACH ROW EXECUTE FUNCTION "baton_notify_api_key_change"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "api_keys_changed" ON "api_keys"`);
    await queryRunner.query(`DROP FUNCTION "baton_notify_api_key_change"()`);
  }
}
