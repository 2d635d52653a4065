import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@baton/config';
import { JobType } from '@baton/contracts';
import { Metrics } from '@baton/observability';
import { InProcessBroker } from './in-process/in-process-broker';
import { InProcessJobTransport } from './in-process/in-process-job-transport';
import { DeliveryOutcome, JobProcessor } from './job-processor';
import { JobTransport } from './job-transport';
import { QueuePauseSource, QueuePauseWatcher } from './queue-pause-watcher';
import { QueueRateLimiter } from './queue-rate-limiter';
import { Topology, workQueue } from './topology';

/** A processor whose jobs run until the test lets them finish. */
class HeldProcessor implements JobProcessor {
  readonly started: string[] = [];
  readonly returned: string[][] = [];
  private release!: () => void;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));
  private onStart?: () => void;

  async process(delivery: { jobId?: string }): Promise<DeliveryOutcome> {
    this.started.push(delivery.jobId!);
    this.onStart?.();
    await this.held;
    return { action: 'ack' };
  }

  async returnUnfinished(jobIds: string[]): Promise<void> {
    this.returned.push(jobIds);
  }

  whenStarted(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.onStart = () => this.started.length >= count && resolve();
      this.onStart();
    });
  }

  finish(): void {
    this.release();
  }
}

/** A processor whose jobs each run until the test finishes that one. */
class OneByOneProcessor implements JobProcessor {
  readonly started: string[] = [];
  private readonly finishers = new Map<string, () => void>();
  private readonly startWaiters: Array<() => void> = [];

  async process(delivery: { jobId?: string }): Promise<DeliveryOutcome> {
    this.started.push(delivery.jobId!);
    for (const wake of this.startWaiters.splice(0)) wake();
    await new Promise<void>((resolve) => this.finishers.set(delivery.jobId!, resolve));
    return { action: 'ack' };
  }

  async returnUnfinished(): Promise<void> {}

  /** Resolves once `jobId` has started. */
  async whenStarted(jobId: string): Promise<void> {
    while (!this.started.includes(jobId)) await new Promise<void>((resolve) => this.startWaiters.push(resolve));
  }

  finish(jobId: string): void {
    this.finishers.get(jobId)!();
  }
}

/** The paused queues as a test sets them, where a worker reads PostgreSQL's. */
class PausedQueues implements QueuePauseSource {
  queues: string[] = [];

  async paused(): Promise<Array<{ queue: string }>> {
    return this.queues.map((queue) => ({ queue }));
  }
}

async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe(JobTransport.name, () => {
  function setUp(shutdownTimeoutMs: number, env: Record<string, string> = {}) {
    const config = loadConfig({ WORKER_QUEUES: 'workouts', WORKER_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs), ...env });
    const broker = new InProcessBroker(config, new Topology(config));
    const processor = new HeldProcessor();
    const transport = new InProcessJobTransport(broker, config, processor, new QueueRateLimiter(config, new Metrics()), new QueuePauseWatcher(new Metrics()));
    transport.addHandler(JobType.Workout, async () => undefined, true);
    transport.listen(() => undefined);
    return { broker, processor, transport };
  }

  const publish = (broker: InProcessBroker, jobId: string) => broker.publishJob({ jobId, type: JobType.Workout, attempt: 1, payload: {} });

  it('gives the attempts of jobs still running at the shutdown timeout back, and only theirs', async () => {
    const { broker, processor, transport } = setUp(100);
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) await publish(broker, id);
    await processor.whenStarted(2);

    await transport.close();

    expect(processor.returned).toEqual([expect.arrayContaining(ids)]);
    expect(processor.returned[0]).toHaveLength(2);
    processor.finish();
    await broker.onApplicationShutdown();
  });

  it('returns nothing when every job finishes within the timeout', async () => {
    const { broker, processor, transport } = setUp(5_000);
    await publish(broker, randomUUID());
    await processor.whenStarted(1);

    const closing = transport.close();
    processor.finish();
    await closing;

    expect(processor.returned).toEqual([]);
    await broker.onApplicationShutdown();
  });

  it('gives back a delivery still waiting for its turn under a rate limit at shutdown: requeued, not started, not counted as running', async () => {
    // One start an hour: the second job waits for its slot in the worker, already taken from the queue.
    const { broker, processor, transport } = setUp(100, { WORKER_RATE_LIMITS: 'workouts=1/h' });
    const [running, waiting] = [randomUUID(), randomUUID()];
    await publish(broker, running);
    await processor.whenStarted(1);
    await publish(broker, waiting);
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.jobsInFlight).toBe(2);

    await transport.close();

    expect(processor.started).toEqual([running]);
    expect(processor.returned).toEqual([[running]]);
    expect(await broker.stats()).toContainEqual({ queue: workQueue(JobType.Workout), messages: 1, consumers: 0 });
    processor.finish();
    await broker.onApplicationShutdown();
  });

  it('runs a redelivered job alone: after the jobs running beside it, and before those delivered after it', async () => {
    const config = loadConfig({ WORKER_QUEUES: 'workouts', WORKER_CONCURRENCY: '4', SHUTDOWN_TIMEOUT_MS: '100' });
    const broker = new InProcessBroker(config, new Topology(config));
    const processor = new OneByOneProcessor();
    const transport = new InProcessJobTransport(broker, config, processor, new QueueRateLimiter(config, new Metrics()), new QueuePauseWatcher(new Metrics()));
    transport.addHandler(JobType.Workout, async () => undefined, true);
    transport.listen(() => undefined);
    const [first, redelivered, later] = [randomUUID(), randomUUID(), randomUUID()];
    const settle = () => new Promise((resolve) => setImmediate(resolve));

    await publish(broker, first);
    await processor.whenStarted(first);
    // Back from a worker that died holding it: the broker counts the delivery.
    broker.requeue({ jobId: redelivered, type: JobType.Workout, attempt: 1, body: Buffer.from('{}'), deliveryCount: 0 });
    await publish(broker, later);
    await settle();
    expect(processor.started).toEqual([first]);

    processor.finish(first);
    await processor.whenStarted(redelivered);
    await settle();
    expect(processor.started).toEqual([first, redelivered]);

    processor.finish(redelivered);
    await processor.whenStarted(later);
    processor.finish(later);
    await transport.close();
    await broker.onApplicationShutdown();
  });

  describe('pausing a queue', () => {
    function setUpPausable(pausedAtStart: string[]) {
      const config = loadConfig({ WORKER_QUEUES: 'workouts', WORKER_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: '100' });
      const broker = new InProcessBroker(config, new Topology(config));
      const processor = new HeldProcessor();
      const pauses = new PausedQueues();
      pauses.queues = pausedAtStart;
      const metrics = new Metrics();
      const transport = new InProcessJobTransport(broker, config, processor, new QueueRateLimiter(config, metrics), new QueuePauseWatcher(metrics, pauses));
      transport.addHandler(JobType.Workout, async () => undefined, true);
      transport.listen(() => undefined);
      const pausedGauge = async () => (await metrics.queuePaused.get()).values.find((value) => value.labels.queue === JobType.Workout)?.value;
      return { broker, processor, pauses, transport, pausedGauge };
    }

    it('does not consume a queue paused at start, and the worker is ready all the same', async () => {
      const { broker, processor, transport, pausedGauge } = setUpPausable([JobType.Workout]);
      await eventually(() => !threw(() => transport.assertConsuming()));
      await publish(broker, randomUUID());
      await new Promise((resolve) => setImmediate(resolve));

      expect(broker.isConsumed(JobType.Workout)).toBe(false);
      expect(processor.started).toEqual([]);
      expect(await pausedGauge()).toBe(1);
      await transport.close();
      await broker.onApplicationShutdown();
    });

    it('finishes the jobs it holds when paused and starts no other; consumes again when resumed', async () => {
      const { broker, processor, pauses, transport, pausedGauge } = setUpPausable([]);
      await eventually(() => broker.isConsumed(JobType.Workout));
      const [held, later] = [randomUUID(), randomUUID()];
      await publish(broker, held);
      await processor.whenStarted(1);

      pauses.queues = [JobType.Workout];
      await eventually(() => !broker.isConsumed(JobType.Workout));
      expect(await pausedGauge()).toBe(1);
      expect(() => transport.assertConsuming()).not.toThrow();
      await publish(broker, later);
      processor.finish();
      await eventually(() => transport.jobsInFlight === 0);
      expect(processor.started).toEqual([held]);

      pauses.queues = [];
      await processor.whenStarted(2);
      expect(processor.started).toEqual([held, later]);
      expect(await pausedGauge()).toBe(0);
      await transport.close();
      await broker.onApplicationShutdown();
    });
  });
});

function threw(run: () => void): boolean {
  try {
    run();
    return false;
  } catch {
    return true;
  }
}
