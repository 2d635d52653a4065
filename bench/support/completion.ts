import { BenchWorld } from './bench-world';

/** Waits until `count` jobs are completed, polling PostgreSQL. */
export async function waitForCompleted(world: BenchWorld, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await world.query<{ done: number }>(`SELECT count(*)::int AS done FROM jobs WHERE status = 'completed'`);
    if (row.done >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${row.done} of ${count} jobs completed within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Jobs completed per second, from the rows: completions over the time from the first to the last. */
export async function completionRate(world: BenchWorld): Promise<number> {
  const [row] = await world.query<{ done: number; span: number }>(
    `SELECT count(*)::int AS done, extract(epoch FROM max(completed_at) - min(completed_at))::float8 AS span FROM jobs WHERE status = 'completed'`,
  );
  return (row.done - 1) / row.span;
}

/** Accept-to-completed latencies in milliseconds, from the rows. */
export async function endToEndMs(world: BenchWorld): Promise<number[]> {
  const rows = await world.query<{ ms: number }>(
    `SELECT extract(epoch FROM completed_at - created_at)::float8 * 1000 AS ms FROM jobs WHERE status = 'completed'`,
  );
  return rows.map((row) => row.ms);
}
