import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@baton/config';
import { JobType } from '@baton/contracts';
import { InProcessBroker } from './in-process/in-process-broker';
import { InProcessJobTransport } from './in-process/in-process-job-transport';
import { DeliveryOutcome, JobProcessor } from './job-processor';
import { JobTransport } from './job-transport';
import { Topology } from './topology';

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

describe(JobTransport.name, () => {
  function setUp(shutdownTimeoutMs: number) {
    const config = loadConfig({ WORKER_QUEUES: 'workouts', WORKER_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    const broker = new InProcessBroker(config, new Topology(config));
    const processor = new HeldProcessor();
    const transport = new InProcessJobTransport(broker, config, processor);
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
});
