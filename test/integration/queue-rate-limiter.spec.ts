/**
 * WORKER_RATE_LIMITS: the start slots a worker takes for a queue, shared
 * through Redis between processes (two limiters here, as two worker
 * processes would hold), and applied by each process alone when Redis is
 * not there or cannot be reached.
 */
import 'reflect-metadata';
import { loadConfig } from '@baton/config';
import { QueueRateLimiter } from '@baton/messaging';
import { Metrics } from '@baton/observability';
import { describeWithRedis, REDIS_URL, uniqueName } from '../support';

/** 50 starts a second: one every 20 ms. */
const RATE = 50;
const SPACING_MS = 1000 / RATE;

/** Takes `count` turns at once, as a worker with that many deliveries waiting would; resolves with when each was granted. */
async function turns(limiter: QueueRateLimiter, count: number, queue = 'emails'): Promise<number[]> {
  const granted: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      expect(await limiter.waitForTurn(queue, new AbortController().signal)).toBe(true);
      granted.push(performance.now());
    }),
  );
  return granted.sort((a, b) => a - b);
}

/**
 * What a limit promises of turns all asked for at `askedAt`: the i-th turn
 * never starts before i spacings have passed (the limit), and the last not
 * much after (the limiter is not slower than its rate). Checked against the
 * request time, not between grants: a timer that fires late under a busy
 * event loop lets the next turn, on time, follow it closely, which is no
 * start before its slot.
 */
function expectPaced(granted: number[], askedAt: number): void {
  granted.forEach((at, index) => expect(at - askedAt).toBeGreaterThanOrEqual(index * SPACING_MS - 2));
  const paced = (granted.length - 1) * SPACING_MS;
  expect(granted[granted.length - 1] - askedAt).toBeLessThan(paced * 1.25 + 250);
}

async function gauge(metrics: Metrics, name: string, queue: string): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  return (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((value) => value.labels.queue === queue)?.value;
}

describe(QueueRateLimiter.name, () => {
  const limiters: QueueRateLimiter[] = [];

  function limiter(env: Record<string, string>): { limiter: QueueRateLimiter; metrics: Metrics } {
    const metrics = new Metrics();
    const created = new QueueRateLimiter(loadConfig({ WORKER_RATE_LIMITS: `emails=${RATE}/s`, ...env }), metrics);
    limiters.push(created);
    return { limiter: created, metrics };
  }

  afterEach(async () => {
    await Promise.all(limiters.splice(0).map((created) => created.onApplicationShutdown()));
  });

  it('lets a queue without a limit start at once', async () => {
    const { limiter: unlimited } = limiter({});
    const started = performance.now();
    await turns(unlimited, 50, 'workouts');
    expect(performance.now() - started).toBeLessThan(SPACING_MS * 10);
  });

  it('without Redis, spaces the starts of one process at the rate, and says the limit is not shared', async () => {
    const { limiter: local, metrics } = limiter({});
    const askedAt = performance.now();
    expectPaced(await turns(local, 30), askedAt);
    expect(await gauge(metrics, 'baton_worker_rate_limit_shared', 'emails')).toBe(0);
  });

  it('falls back to the whole rate in the process when Redis cannot be reached', async () => {
    const { limiter: unreachable, metrics } = limiter({ REDIS_URL: 'redis://127.0.0.1:1' });
    // Its first turn waits for the connection attempt to fail; the pacing counts from that turn.
    const [first, ...rest] = await turns(unreachable, 31);
    expectPaced(rest, first);
    expect(await gauge(metrics, 'baton_worker_rate_limit_shared', 'emails')).toBe(0);
  });

  it('hands a waiting turn back when the worker stops', async () => {
    const { limiter: local } = limiter({});
    // Takes the next second's slots, so that the last turn waits.
    await Promise.all(Array.from({ length: RATE }, () => local.waitForTurn('emails', new AbortController().signal)));
    const stopping = new AbortController();
    const waiting = local.waitForTurn('emails', stopping.signal);
    stopping.abort();
    await expect(waiting).resolves.toBe(false);
  });

  describeWithRedis('the limit shared by processes lives in Redis', 'shared through Redis', () => {
    it('two processes together start at the rate, not twice it', async () => {
      // A vhost of its own: the slots are per broker and vhost, so that this run shares them with nobody.
      const env = { REDIS_URL, RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:5672/${uniqueName('rate')}` };
      const first = limiter(env);
      const second = limiter(env);
      // Each connects first, so that the pacing counts from when both can take slots.
      await Promise.all([turns(first.limiter, 1), turns(second.limiter, 1)]);
      const askedAt = performance.now();
      const [a, b] = await Promise.all([turns(first.limiter, 20), turns(second.limiter, 20)]);
      expectPaced([...a, ...b].sort((x, y) => x - y), askedAt);
      for (const { metrics } of [first, second]) expect(await gauge(metrics, 'baton_worker_rate_limit_shared', 'emails')).toBe(1);
    });
  }, false);
});
