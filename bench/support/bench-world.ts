import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import Redis from 'ioredis';
import { Client } from 'pg';
import { storeApiKey, TEST_API_KEY } from '../../test/support/api-keys';
import { ADMIN_DATABASE_URL, RABBITMQ_BASE_URL, RABBITMQ_USER, RABBITMQCTL, REDIS_URL, uniqueName } from '../../test/support/env';
import { installSlowWorkouts } from '../../test/support/faults';
import { workoutBody } from '../../test/support/fixtures';
import { runCli } from '../../test/support/processes';

const run = promisify(execFile);

/** The NODE_OPTIONS the chart's defaults give the API and each worker (test/helm/chart.spec.ts checks the chart's side). */
export const CHART_HEAP_OPTIONS = '--max-old-space-size=384 --max-semi-space-size=8';

/** The API key every benchmark request carries (stored in the bench database). */
export const BENCH_API_KEY = TEST_API_KEY;

/**
 * The benchmark's world on the machine's services: a database of its own
 * (migrated by Baton's `migrate`, holding the key, with the slow-workout
 * trigger of the scaling scenario), a RabbitMQ vhost of its own and a Redis
 * key prefix of its own, all removed by close().
 */
export class BenchWorld {
  private constructor(
    readonly databaseName: string,
    readonly databaseUrl: string,
    readonly vhost: string,
    readonly rabbitmqUrl: string,
    readonly redisUrl: string,
    readonly bullQueue: string,
  ) {}

  static async create(): Promise<BenchWorld> {
    const name = uniqueName('baton_bench');
    await admin((client) => client.query(`CREATE DATABASE "${name}"`));
    const location = new URL(ADMIN_DATABASE_URL);
    location.pathname = `/${name}`;
    await run(RABBITMQCTL, ['add_vhost', name]);
    await run(RABBITMQCTL, ['set_permissions', '-p', name, RABBITMQ_USER, '.*', '.*', '.*']);
    const world = new BenchWorld(name, location.toString(), name, `${RABBITMQ_BASE_URL.replace(/\/$/, '')}/${encodeURIComponent(name)}`, REDIS_URL, name);
    const migrated = await runCli(['migrate'], { DATABASE_URL: world.databaseUrl });
    if (migrated.code !== 0) throw new Error(`baton migrate failed:\n${migrated.output}`);
    await storeApiKey(world.databaseUrl, { key: BENCH_API_KEY, tenant: 'bench' });
    // Declares Baton's exchanges and queues in the vhost, as every Baton process does at start.
    const declared = await runCli(['queues'], { DATABASE_URL: world.databaseUrl, RABBITMQ_URL: world.rabbitmqUrl });
    if (declared.code !== 0) throw new Error(`baton queues failed:\n${declared.output}`);
    await installSlowWorkouts({ query: (sql: string, params?: unknown[]) => world.query(sql, params) } as never);
    return world;
  }

  /** What every Baton process of the benchmark gets. */
  batonEnv(): Record<string, string> {
    return {
      DATABASE_URL: this.databaseUrl,
      RABBITMQ_URL: this.rabbitmqUrl,
      // The benchmark measures speed, not the rate limit.
      RATE_LIMIT_MAX: '10000000',
      // No scenario sends email: a worker on the default queues then needs no mail server.
      DISABLED_JOB_TYPES: 'emails',
      SHUTDOWN_DELAY_MS: '0',
      LOG_LEVEL: 'warn',
      // V8's heap as the chart sizes it for its default 512Mi containers (heap.fractionOfMemoryLimit,
      // heap.maxSemiSpaceMiB), so that the footprint rows measure what a pod runs.
      NODE_OPTIONS: CHART_HEAP_OPTIONS,
    };
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Empties the job tables, their results (which outlive jobs) and the work queues between measurements. */
  async reset(): Promise<void> {
    await this.query(`TRUNCATE jobs, expired_jobs, workouts, invoices CASCADE`);
    await this.withChannel(async (channel) => {
      for (const queue of ['workouts', 'invoices']) await channel.purgeQueue(queue).catch(() => undefined);
    });
  }

  /**
   * Jobs already accepted and published, as the API would leave them: rows
   * first, then their messages, confirmed. `userId` lets a scenario pick the
   * slow-workout trigger (`slow-20-…`).
   */
  async prefill(type: 'workouts' | 'invoices', count: number, payload: (index: number) => object): Promise<void> {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (let from = 0; from < count; from += 1000) {
      const slice = ids.slice(from, from + 1000);
      await this.query(
        `INSERT INTO jobs (id, type, tenant, payload, max_attempts, correlation_id, published_at)
         SELECT id, $2, 'bench', payload, 5, id::text, now() FROM unnest($1::uuid[], $3::jsonb[]) AS t(id, payload)`,
        [slice, type, slice.map((_, index) => JSON.stringify(payload(from + index)))],
      );
    }
    await this.withChannel(async (channel) => {
      const confirm = channel as amqp.ConfirmChannel;
      ids.forEach((id, index) =>
        confirm.publish('baton.jobs', type, Buffer.from(JSON.stringify(payload(index))), {
          persistent: true,
          contentType: 'application/json',
          messageId: id,
          correlationId: id,
          type,
          headers: { 'x-baton-attempt': 1 },
        }),
      );
      await confirm.waitForConfirms();
    }, true);
  }

  async close(): Promise<void> {
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`)).catch(() => undefined);
    await run(RABBITMQCTL, ['delete_vhost', this.vhost]).catch(() => undefined);
    await this.deleteBullQueue().catch(() => undefined);
  }

  /** The BullMQ queue's keys in Redis (`bull:<queue>:…`). */
  private async deleteBullQueue(): Promise<void> {
    const redis = new Redis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${this.bullQueue}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }

  private async withChannel(work: (channel: amqp.Channel) => Promise<void>, confirm = false): Promise<void> {
    const connection = await amqp.connect(this.rabbitmqUrl);
    try {
      const channel = confirm ? await connection.createConfirmChannel() : await connection.createChannel();
      await work(channel);
      await channel.close();
    } finally {
      await connection.close();
    }
  }
}

/** A workout body for load: valid, small (two sets), as a mobile backend sends. */
export function benchWorkout(userId = 'bench-user'): Record<string, unknown> {
  return workoutBody({ userId });
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
