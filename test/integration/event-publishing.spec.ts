/**
 * Events from the outbox to their subscribers: the relay hands each event
 * to the broker, which routes it by type, with RabbitMQ's topic rules, to
 * whoever bound that type: the in-process broker of `npm start` to its
 * subscribers, RabbitMQ's `baton.events` exchange to the queues bound to
 * it, such as the example subscriber's (examples/event-subscriber.ts).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { DataSource } from 'typeorm';
import { JobRelay } from '@baton/api';
import { BatonConfig, loadConfig } from '@baton/config';
import { EventEnvelope, EVENTS_EXCHANGE, EventType, JobType } from '@baton/contracts';
import { WorkoutRepository } from '@baton/jobs';
import { AmqpConnection, AmqpJobPublisher, InProcessBroker, JobPublisher, Topology } from '@baton/messaging';
import { Metrics } from '@baton/observability';
import { EventOutboxRepository, JobExecutionRepository, JobIntakeRepository } from '@baton/persistence';
import { jobFixtures, newWorkout } from '../support/job-fixtures';
import { describeWithServices } from '../support/mode';
import { createTestVhost, openTestDataSource, TestVhost } from '../support/services';
import { waitFor } from '../support/wait-for';

describe('event publishing', () => {
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let workouts: WorkoutRepository;
  let jobs: JobExecutionRepository;

  beforeAll(async () => {
    ({ ds, close } = await openTestDataSource('baton_event_publishing'));
    jobs = new JobExecutionRepository(ds);
    workouts = new WorkoutRepository(ds, jobs);
  });

  afterAll(async () => {
    await close?.();
  });

  const { insertJob } = jobFixtures(() => ds);

  function relayOver(publisher: JobPublisher, config: BatonConfig): JobRelay {
    return new JobRelay(publisher, new JobIntakeRepository(ds), new EventOutboxRepository(ds), config, new Metrics());
  }

  /** Saves `count` workouts as a worker does; returns their ids. */
  async function saveWorkouts(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const job = await insertJob({ type: JobType.Workout });
      await jobs.claim(job.id, JobType.Workout);
      const workout = newWorkout();
      await workouts.saveForJob(job.id, workout);
      ids.push(workout.id);
    }
    return ids;
  }

  describe('through the in-process broker', () => {
    it('fans each event out to every subscriber whose pattern takes its type', async () => {
      const config = loadConfig({});
      const broker = new InProcessBroker(config, new Topology(config));
      const relay = relayOver(broker, config);
      const byPattern = new Map<string, EventEnvelope[]>([['workout.*', []], ['#', []], ['job.completed', []], ['invoice.*', []]]);
      const unsubscribe = [...byPattern].map(([pattern, seen]) => broker.subscribeEvents(pattern, (event) => void seen.push(event)));

      const saved = await saveWorkouts(2);
      await relay.sweep();
      await waitFor('the events of two workouts', () => (byPattern.get('#')!.length === 4 ? true : undefined));

      expect(byPattern.get('workout.*')!.map((event) => event.data.workoutId)).toEqual(saved);
      expect(byPattern.get('workout.*')!.map((event) => event.type)).toEqual([EventType.WorkoutSaved, EventType.WorkoutSaved]);
      expect(byPattern.get('job.completed')!.map((event) => event.type)).toEqual([EventType.JobCompleted, EventType.JobCompleted]);
      expect(byPattern.get('invoice.*')).toEqual([]);

      // Confirmed once, published once.
      await relay.sweep();
      expect(byPattern.get('#')).toHaveLength(4);
      for (const stop of unsubscribe) stop();
    });

    it('keeps a failing subscriber from stopping the others', async () => {
      const config = loadConfig({});
      const broker = new InProcessBroker(config, new Topology(config));
      const relay = relayOver(broker, config);
      const seen: EventEnvelope[] = [];
      broker.subscribeEvents('#', () => {
        throw new Error('a subscriber that fails');
      });
      broker.subscribeEvents('workout.saved', (event) => void seen.push(event));
      const [saved] = await saveWorkouts(1);
      await relay.sweep();
      await waitFor('the workout.saved event', () => (seen.length === 1 ? true : undefined));
      expect(seen[0].data.workoutId).toBe(saved);
    });
  });

  describeWithServices('RabbitMQ', 'through RabbitMQ', () => {
    let vhost: TestVhost;
    let config: BatonConfig;
    let connection: AmqpConnection;
    let publisher: AmqpJobPublisher;
    let inspector: amqp.ChannelModel;
    let channel: amqp.Channel;

    beforeAll(async () => {
      vhost = await createTestVhost('baton_event_publishing');
      config = loadConfig({ RABBITMQ_URL: vhost.url }, ['RABBITMQ_URL']);
      const topology = new Topology(config);
      connection = new AmqpConnection(config, topology);
      publisher = new AmqpJobPublisher(connection, topology);
      await connection.start();
      await waitFor('the confirm channel', () => (publisher.isReady ? true : undefined));
      inspector = await amqp.connect(vhost.url);
      channel = await inspector.createChannel();
    });

    afterAll(async () => {
      await connection?.close();
      await inspector?.close().catch(() => undefined);
      await vhost?.drop();
    });

    async function boundQueue(name: string, pattern: string): Promise<string> {
      await channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await channel.bindQueue(name, EVENTS_EXCHANGE, pattern);
      return name;
    }

    async function drain(queue: string, count: number): Promise<amqp.GetMessage[]> {
      const messages: amqp.GetMessage[] = [];
      await waitFor(`${count} messages in ${queue}`, async () => {
        for (let message = await channel.get(queue, { noAck: true }); message !== false; message = await channel.get(queue, { noAck: true })) messages.push(message);
        return messages.length >= count ? true : undefined;
      });
      return messages;
    }

    it('publishes each event to baton.events, persistent, with its type as routing key and its id as message id', async () => {
      const workoutsQueue = await boundQueue('test.workouts', 'workout.*');
      const everything = await boundQueue('test.everything', '#');
      const relay = relayOver(publisher, config);
      const saved = await saveWorkouts(2);
      await relay.sweep();

      const workoutMessages = await drain(workoutsQueue, 2);
      const all = await drain(everything, 4);
      expect(workoutMessages.map((message) => JSON.parse(message.content.toString()).data.workoutId)).toEqual(saved);
      for (const message of workoutMessages) {
        const event: EventEnvelope = JSON.parse(message.content.toString());
        expect(message.fields).toMatchObject({ exchange: EVENTS_EXCHANGE, routingKey: EventType.WorkoutSaved });
        expect(message.properties).toMatchObject({ deliveryMode: 2, messageId: event.id, type: EventType.WorkoutSaved, contentType: 'application/json', correlationId: event.correlationId });
      }
      expect(all.map((message) => message.fields.routingKey).sort()).toEqual([EventType.JobCompleted, EventType.JobCompleted, EventType.WorkoutSaved, EventType.WorkoutSaved]);

      await relay.sweep();
      expect(await channel.get(everything)).toBe(false);
    });

    it('publishes an event no queue is bound for without error, and marks it published', async () => {
      await channel.deleteQueue('test.workouts');
      await channel.deleteQueue('test.everything');
      const relay = relayOver(publisher, config);
      await saveWorkouts(1);
      await relay.sweep();
      await expect(new EventOutboxRepository(ds).countUnpublished()).resolves.toBe(0);
    });

    it("reaches the example subscriber's queue, each event printed once", async () => {
      const subscriber = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../../examples/event-subscriber.ts'), 'example.workouts', 'workout.*'], {
        env: { PATH: process.env.PATH, RABBITMQ_URL: vhost.url, TS_NODE_PROJECT: join(__dirname, '../../tsconfig.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      subscriber.stdout.on('data', (chunk) => (stdout += chunk));
      subscriber.stderr.on('data', (chunk) => (stderr += chunk));
      try {
        await waitFor('the example subscriber to subscribe', () => (stderr.includes('subscribed: example.workouts') ? true : undefined), 30_000);
        const relay = relayOver(publisher, config);
        const saved = await saveWorkouts(3);
        await relay.sweep();
        const printed = await waitFor('three events printed', () => {
          const lines = stdout.split('\n').filter((line) => line.length > 0);
          return lines.length >= 3 ? lines.map((line) => JSON.parse(line) as EventEnvelope) : undefined;
        });
        expect(printed.map((event) => event.type)).toEqual([EventType.WorkoutSaved, EventType.WorkoutSaved, EventType.WorkoutSaved]);
        expect(printed.map((event) => event.data.workoutId)).toEqual(saved);
      } finally {
        subscriber.kill('SIGTERM');
        await new Promise((resolve) => subscriber.once('close', resolve));
      }
    });
  });
});
