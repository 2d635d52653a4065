/**
 * Where the test suites find the real services. Each suite makes its own
 * database and vhost under these, so that suites and runs never collide.
 */
export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const RABBITMQ_BASE_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const RABBITMQ_USER = process.env.TEST_RABBITMQ_USER ?? 'guest';
/** Redis for the rate limit shared by API replicas; each suite keeps to keys of its own. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const RABBITMQCTL = process.env.TEST_RABBITMQCTL ?? 'rabbitmqctl';

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
}
