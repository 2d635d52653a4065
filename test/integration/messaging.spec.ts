import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, GetMessage, MessageProperties } from 'amqplib';
import { BatonConfig, loadConfig } from '@baton/config';
import { EVENTS_EXCHANGE, JOB_TYPES, JobType, WEBHOOK_DELIVERY_QUEUE } from '@baton/contracts';
import {
  AmqpConnection,
  ATTEMPT_HEADER,
  DEAD_EXCHANGE,
  deadLetterQueue,
  ERROR_HEADER,
  AmqpJobPublisher,
  PublishFailedError,
  retryQueue,
  Topology,
  WORK_EXCHANGE,
  workQueue,
} from '@baton/messaging';
import { RABBITMQCTL } from '../support/env';
import { invoiceBody, workoutBody } from '../support/fixtures';
import { createTestVhost, TestVhost } from '../support/services';
import { describeWithServices } from '../support/mode';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);

interface QueueInfo {
  name: string;
  type: string;
  arguments: Record<string, unknown>;
}

describeWithServices('tests the RabbitMQ code itself: topology, confirms, delay and dead-letter queues, quorum delivery limits', 'messaging (RabbitMQ)', () => {
  let vhost: TestVhost;
  let config: BatonConfig;
  let topology: Topology;
  let connection: AmqpConnection;
  let publisher: AmqpJobPublisher;
  /** A plain amqplib connection to look at the broker from outside Baton's code. */
  let inspector: ChannelModel;
  let channel: Channel;
  const extraConnections: AmqpConnection[] = [];

  // Every job type's queues: the topology is derived from JobType.
  const allQueues = (): string[] => [
    ...JOB_TYPES.flatMap((type) => [workQueue(type), deadLetterQueue(type), ...topology.retryDelays().map((delay) => retryQueue(type, delay))]),
    // Webhook deliveries wait for their retries in PostgreSQL: no delay queues.
    workQueue(WEBHOOK_DELIVERY_QUEUE),
    deadLetterQueue(WEBHOOK_DELIVERY_QUEUE),
  ];

  beforeAll(async () => {
    vhost = await createTestVhost('baton_messaging');
    config = loadConfig(
      {
        RABBITMQ_URL: vhost.url,
        JOB_RETRY_BASE_MS: '50',
        JOB_RETRY_MAX_MS: '1000',
        JOB_MAX_ATTEMPTS: '3',
        JOB_DELIVERY_LIMIT: '2',
      },
      ['RABBITMQ_URL'],
    );
    topology = new Topology(config);
    connection = new AmqpConnection(config, topology);
    publisher = new AmqpJobPublisher(connection, topology);
    await connection.start();
    inspector = await amqp.connect(vhost.url);
    channel = await inspector.createChannel();
  });

  afterAll(async () => {
    for (const extra of extraConnections) await extra.close();
    await connection?.close();
    await inspector?.close().catch(() => undefined);
    await vhost?.drop();
  });

  beforeEach(async () => {
    for (const queue of allQueues()) await channel.purgeQueue(queue);
  });

  /** Runs a passive check on a channel of its own: a failed check closes the channel that asked. */
  async function onOwnChannel<T>(work: (own: Channel) => Promise<T>): Promise<T> {
    const own = await inspector.createChannel();
    own.on('error', () => undefined);
    try {
      return await work(own);
    } finally {
      await own.close().catch(() => undefined);
    }
  }

  async function listQueues(): Promise<Map<string, QueueInfo>> {
    const { stdout } = await run(RABBITMQCTL, ['list_queues', '-p', vhost.name, 'name', 'type', 'arguments', '--formatter', 'json']);
    const rows: Array<{ name: string; type: string; arguments: Array<[string, string, unknown]> }> = JSON.parse(stdout);
    return new Map(
      rows.map((queue) => [
        queue.name,
        { name: queue.name, type: queue.type, arguments: Object.fromEntries(queue.arguments.map(([name, , value]) => [name, value])) },
      ]),
    );
  }

  /** Waits for the next message on `queue` and takes it (acknowledged). */
  function nextMessage(queue: string, timeoutMs = 10_000): Promise<GetMessage> {
    return waitFor(
      `a message on ${queue}`,
      async () => {
        const message = await channel.get(queue, { noAck: true });
        return message === false ? undefined : message;
      },
      timeoutMs,
      20,
    );
  }

  async function depth(queue: string): Promise<number> {
    return (await channel.checkQueue(queue)).messageCount;
  }

  const message = (type: JobType = JobType.Workout, attempt = 1) => ({
    jobId: randomUUID(),
    type,
    attempt,
    correlationId: `corr-${randomUUID()}`,
    payload: type === JobType.Workout ? workoutBody() : invoiceBody(),
  });

  /** Publishes a job and takes its copy from the work queue, as a worker would receive it. */
  async function publishAndReceive(type: JobType = JobType.Workout) {
    const sent = message(type);
    await publisher.publishJob(sent);
    const received = await nextMessage(workQueue(type));
    return { sent, received };
  }

  function xDeath(properties: MessageProperties): Array<Record<string, unknown>> {
    return (properties.headers?.['x-death'] as Array<Record<string, unknown>> | undefined) ?? [];
  }

  describe('topology', () => {
    it('start() declares the exchanges', async () => {
      for (const exchange of [WORK_EXCHANGE, DEAD_EXCHANGE]) {
        await expect(onOwnChannel((own) => own.checkExchange(exchange))).resolves.toBeDefined();
      }
      await expect(onOwnChannel((own) => own.checkExchange('baton.nonexistent'))).rejects.toThrow(/NOT_FOUND/);
    });

    it('start() declares the work, dead-letter and retry queues', async () => {
      const expected = ['workouts', 'invoices', 'emails', 'workouts.dead', 'invoices.dead', 'emails.dead', 'workouts.retry.50ms', 'workouts.retry.100ms', 'invoices.retry.50ms', 'invoices.retry.100ms', 'emails.retry.50ms', 'emails.retry.100ms'];
      for (const queue of expected) {
        await expect(onOwnChannel((own) => own.checkQueue(queue))).resolves.toMatchObject({ queue, messageCount: 0 });
      }
      await expect(onOwnChannel((own) => own.checkQueue('workouts.retry.200ms'))).rejects.toThrow(/NOT_FOUND/);
    });

    it('start() declares the durable topic exchange events are published to', async () => {
      const { stdout } = await run(RABBITMQCTL, ['list_exchanges', '-p', vhost.name, 'name', 'type', 'durable', '--formatter', 'json']);
      const exchanges: Array<{ name: string; type: string; durable: boolean }> = JSON.parse(stdout);
      expect(exchanges.find((exchange) => exchange.name === EVENTS_EXCHANGE)).toEqual({ name: EVENTS_EXCHANGE, type: 'topic', durable: true });
    });

    it('makes every queue a quorum queue with the configured arguments', async () => {
      const queues = await listQueues();

      expect([...queues.keys()].sort()).toEqual(allQueues().sort());
      for (const queue of queues.values()) expect(queue).toMatchObject({ type: 'quorum' });
      for (const type of ['workouts', 'invoices', 'emails', 'webhooks']) {
        expect(queues.get(type)!.arguments).toMatchObject({
          'x-queue-type': 'quorum',
          'x-delivery-limit': 2,
          'x-dead-letter-exchange': DEAD_EXCHANGE,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        });
        expect(queues.get(`${type}.dead`)!.arguments).toMatchObject({ 'x-queue-type': 'quorum' });
        if (type === 'webhooks') continue;
        for (const delay of [50, 100]) {
          expect(queues.get(`${type}.retry.${delay}ms`)!.arguments).toMatchObject({
            'x-message-ttl': delay,
            'x-dead-letter-exchange': WORK_EXCHANGE,
            'x-dead-letter-routing-key': type,
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          });
        }
      }
    });

    it('can be declared twice, by the same code or by a second process', async () => {
      await expect(onOwnChannel((own) => topology.declare(own))).resolves.toBeUndefined();

      const second = new AmqpConnection(config, new Topology(config));
      extraConnections.push(second);
      await second.start();
      expect(second.isConnected).toBe(true);
      await second.close();

      expect((await listQueues()).size).toBe(allQueues().length);
    });
  });

  describe(AmqpJobPublisher.name, () => {
    it('is ready once the connection has started', () => {
      expect(connection.isConnected).toBe(true);
      expect(publisher.isReady).toBe(true);
    });

    it('publishJob is confirmed and the job lands in its work queue with its identity', async () => {
      const sent = message(JobType.Workout);

      await expect(publisher.publishJob(sent)).resolves.toBeUndefined();

      const received = await nextMessage('workouts');
      expect(received.fields).toMatchObject({ exchange: WORK_EXCHANGE, routingKey: 'workouts' });
      expect(received.properties).toMatchObject({
        messageId: sent.jobId,
        type: 'workouts',
        correlationId: sent.correlationId,
        deliveryMode: 2,
        contentType: 'application/json',
      });
      expect(received.properties.headers).toMatchObject({ [ATTEMPT_HEADER]: 1 });
      expect(JSON.parse(received.content.toString('utf8'))).toEqual(sent.payload);
      expect(await depth('invoices')).toBe(0);
    });

    it('routes each job type to its own work queue', async () => {
      const sent = message(JobType.Invoice);
      await publisher.publishJob(sent);

      const received = await nextMessage('invoices');
      expect(received.properties).toMatchObject({ messageId: sent.jobId, type: 'invoices' });
      expect(await depth('workouts')).toBe(0);
    });

    it('retry() sends the job through the delay queue and back to work with the new attempt', async () => {
      const { sent, received } = await publishAndReceive();
      const started = Date.now();

      await expect(publisher.retry(JobType.Workout, received.content, received.properties, 2)).resolves.toBeUndefined();

      const back = await nextMessage('workouts');
      const waited = Date.now() - started;
      expect(back.properties).toMatchObject({ messageId: sent.jobId, type: 'workouts', correlationId: sent.correlationId, deliveryMode: 2 });
      expect(back.properties.headers).toMatchObject({ [ATTEMPT_HEADER]: 2 });
      expect(back.content.equals(received.content)).toBe(true);
      // It waited out the first retry delay (50 ms) in workouts.retry.50ms.
      expect(xDeath(back.properties)).toEqual([expect.objectContaining({ queue: retryQueue(JobType.Workout, 50), reason: 'expired' })]);
      expect(waited).toBeGreaterThanOrEqual(45);
      expect(await depth('workouts.retry.50ms')).toBe(0);
    });

    it('retry() waits longer for a later attempt', async () => {
      const { sent, received } = await publishAndReceive(JobType.Invoice);

      await publisher.retry(JobType.Invoice, received.content, received.properties, 3);

      const back = await nextMessage('invoices');
      expect(back.properties.messageId).toBe(sent.jobId);
      expect(back.properties.headers).toMatchObject({ [ATTEMPT_HEADER]: 3 });
      expect(xDeath(back.properties)).toEqual([expect.objectContaining({ queue: 'invoices.retry.100ms', reason: 'expired' })]);
    });

    it('a retry beyond the JOB_MAX_ATTEMPTS of this process waits in the longest declared delay queue', async () => {
      const { received } = await publishAndReceive();
      // JOB_MAX_ATTEMPTS 3 declares delays for attempts 2 and 3 only (50 and 100 ms).
      await expect(publisher.retry(JobType.Workout, received.content, received.properties, 4)).resolves.toBeUndefined();
      const back = await nextMessage('workouts');
      expect(back.properties.headers).toMatchObject({ [ATTEMPT_HEADER]: 4 });
      expect(xDeath(back.properties)).toEqual([expect.objectContaining({ queue: retryQueue(JobType.Workout, 100), reason: 'expired' })]);
    });

    it('a retry whose delay queue is missing is refused, not lost', async () => {
      const { received } = await publishAndReceive();
      const admin = await inspector.createChannel();
      await admin.deleteQueue(retryQueue(JobType.Workout, 50));
      try {
        await expect(publisher.retry(JobType.Workout, received.content, received.properties, 2)).rejects.toBeInstanceOf(PublishFailedError);
      } finally {
        await topology.declare(admin);
        await admin.close();
      }
    });

    it('deadLetter() puts the job in its dead-letter queue with the reason', async () => {
      const { sent, received } = await publishAndReceive(JobType.Invoice);

      await expect(publisher.deadLetter(JobType.Invoice, received.content, received.properties, 'renderer exploded')).resolves.toBeUndefined();

      const dead = await nextMessage('invoices.dead');
      expect(dead.fields).toMatchObject({ exchange: DEAD_EXCHANGE, routingKey: 'invoices' });
      expect(dead.properties).toMatchObject({ messageId: sent.jobId, type: 'invoices', correlationId: sent.correlationId, deliveryMode: 2 });
      expect(dead.properties.headers).toMatchObject({ [ERROR_HEADER]: 'renderer exploded', [ATTEMPT_HEADER]: 1 });
      expect(dead.content.equals(received.content)).toBe(true);
      expect(await depth('workouts.dead')).toBe(0);
    });

    it('deadLetter() bounds the reason and drops the broker history of a retried copy', async () => {
      const { received } = await publishAndReceive();
      await publisher.retry(JobType.Workout, received.content, received.properties, 2);
      const retried = await nextMessage('workouts');
      expect(xDeath(retried.properties)).toHaveLength(1);

      await publisher.deadLetter(JobType.Workout, retried.content, retried.properties, 'x'.repeat(5000));

      const dead = await nextMessage('workouts.dead');
      const reason = dead.properties.headers?.[ERROR_HEADER];
      expect(typeof reason === 'string' ? reason : String(reason)).toBe('x'.repeat(1000));
      expect(dead.properties.headers).toMatchObject({ [ATTEMPT_HEADER]: 2 });
      expect(xDeath(dead.properties)).toEqual([]);
    });
  });

  describe('broker dead-lettering', () => {
    it('a message nacked without requeue on a work queue lands in its dead-letter queue', async () => {
      const sent = message(JobType.Workout);
      await publisher.publishJob(sent);
      const delivered = await waitFor('a delivery from workouts', async () => {
        const got = await channel.get('workouts', { noAck: false });
        return got === false ? undefined : got;
      });

      channel.nack(delivered, false, false);

      const dead = await nextMessage('workouts.dead');
      expect(dead.properties.messageId).toBe(sent.jobId);
      expect(xDeath(dead.properties)).toEqual([expect.objectContaining({ queue: 'workouts', reason: 'rejected' })]);
      expect(await depth('workouts')).toBe(0);
    });

    it(`a message requeued more than JOB_DELIVERY_LIMIT times ends in the dead-letter queue`, async () => {
      const sent = message(JobType.Invoice);
      const consumer = await inspector.createChannel();
      let deliveries = 0;
      try {
        await consumer.prefetch(1);
        const { consumerTag } = await consumer.consume('invoices', (delivery) => {
          if (delivery === null) return;
          deliveries++;
          consumer.nack(delivery, false, true);
        });
        await publisher.publishJob(sent);

        const dead = await nextMessage('invoices.dead');
        await consumer.cancel(consumerTag);

        expect(dead.properties.messageId).toBe(sent.jobId);
        expect(xDeath(dead.properties)).toEqual([expect.objectContaining({ queue: 'invoices', reason: 'delivery_limit' })]);
        // The first delivery plus JOB_DELIVERY_LIMIT redeliveries, and no more.
        expect(deliveries).toBe(config.JOB_DELIVERY_LIMIT + 1);
        expect(await depth('invoices')).toBe(0);
      } finally {
        await consumer.close().catch(() => undefined);
      }
    });
  });

  describe('without a connection', () => {
    it('publishing before the connection started rejects with PublishFailedError', async () => {
      const idle = new AmqpConnection(config, topology);
      extraConnections.push(idle);
      const idlePublisher = new AmqpJobPublisher(idle, topology);

      expect(idlePublisher.isReady).toBe(false);
      await expect(idlePublisher.publishJob(message())).rejects.toBeInstanceOf(PublishFailedError);
      await expect(idlePublisher.publishJob(message())).rejects.toThrow('not connected to RabbitMQ');
    });

    it(`${AmqpConnection.name}.close() disconnects, stops publishing and can be called again`, async () => {
      const own = new AmqpConnection(config, topology);
      extraConnections.push(own);
      const ownPublisher = new AmqpJobPublisher(own, topology);
      await own.start();
      expect(own.isConnected).toBe(true);
      expect(ownPublisher.isReady).toBe(true);
      const sent = message();
      await ownPublisher.publishJob(sent);
      expect((await nextMessage('workouts')).properties.messageId).toBe(sent.jobId);

      await expect(own.close()).resolves.toBeUndefined();

      expect(own.isConnected).toBe(false);
      await waitFor('the publisher channel to close', () => (ownPublisher.isReady ? undefined : true), 5000);
      await expect(ownPublisher.publishJob(message())).rejects.toBeInstanceOf(PublishFailedError);
      await expect(own.close()).resolves.toBeUndefined();
      expect(own.isConnected).toBe(false);
    });
  });
});
