import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { normalWorkout } from '../support/load-generator';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';
import { Stage } from '../support/stage';

interface EventSubscriberSize extends LoadSize {
  workers: number;
  /** Workers SIGKILLed, each once the workouts saved reach a share of the load drawn in `killAt`. */
  kills: number;
  killAt: [number, number];
  /** Each workout sleeps this long inside the worker's transaction, drawn in this range: a kill finds saves mid-way. */
  jobMs: [number, number];
}

const EVENTS_EXCHANGE = 'baton.events';
const BINDING = 'workout.*';
const POLL_MS = 100;
/** After the drain, how long the relay may take to get every event onto the broker. */
const PUBLISH_WAIT_MS = 30_000;
const SHOWN = 5;

/** The subscriber of the running scenario (one at a time): its connection and queue. */
let subscriber: { connection: amqp.ChannelModel; channel: amqp.Channel; queue: string } | undefined;

/**
 * 9. A service of its own subscribing to Baton's domain events: a quorum
 * queue bound to `baton.events` with `workout.*`, on the scenario's node,
 * bound before the load. A worker is SIGKILLed in the middle of a burst of
 * workouts, with saves under way. Once every job is final and every event
 * is confirmed on the broker, the queue must hold exactly one
 * `workout.saved` per workout row, and nothing else: no other type, no
 * event of a save that rolled back, no second event for a save that ran
 * again. The relay may publish an event twice (at least once); such copies
 * must carry the same event id (messageId), and are counted and printed.
 */
export const eventSubscriber: ScenarioDefinition<EventSubscriberSize> = {
  id: 9,
  title: 'a queue on baton.events (workout.*) across a burst with a worker SIGKILL',
  slug: 'event-subscriber',
  sizes: {
    quick: { workers: 2, kills: 1, killAt: [35, 65], jobMs: [20, 120], rate: 75, jobs: 300, maxJobs: 300, leadMs: 0, tailMs: 500 },
    full: { workers: 3, kills: 4, killAt: [15, 85], jobMs: [20, 200], rate: 100, jobs: 1500, maxJobs: 1500, leadMs: 0, tailMs: 1000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers }),
  plan: (index, size, random) => normalWorkout('s9', index, random.int(...size.jobMs)),
  async beforeLoad(stage) {
    // Bound before the first job: an event published while no queue is bound is routed nowhere, by design.
    const connection = await amqp.connect(stage.node.url);
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const queue = `chaos.workout-events.${randomUUID()}`;
    subscriber = { connection, channel, queue };
    stage.addBackground(async () => {
      const current = subscriber;
      subscriber = undefined;
      if (!current) return;
      await current.channel.deleteQueue(current.queue).catch(() => undefined);
      await current.connection.close().catch(() => undefined);
    });
    await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(queue, EVENTS_EXCHANGE, BINDING);
  },
  async fault(stage, size, random): Promise<FaultReport> {
    const thresholds = [...random.distinct(size.kills, ...size.killAt)].sort((a, b) => a - b).map((percent) => Math.ceil((size.jobs * percent) / 100));
    const killed: string[] = [];
    for (const threshold of thresholds) {
      // Workouts are saved in another process: their rows are polled.
      const deadline = Date.now() + 60_000;
      let saved = 0;
      while ((saved = await workoutCount(stage)) < threshold) {
        if (Date.now() > deadline) return { notes: killed, failures: [`only ${saved} workouts saved after 60 s, waiting for ${threshold} before a kill`] };
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const members = stage.workers.members;
      const states = await Promise.all(members.map((member) => member.process.isReady()));
      const ready = members.filter((_, index) => states[index]);
      const victim = random.pick(ready.length > 0 ? ready : members);
      killed.push(`${victim.name} SIGKILLed at ${saved} workouts saved`);
      await stage.workers.kill(victim.slot, 'SIGKILL');
    }
    await Promise.all(stage.workers.members.map((member) => member.ready));
    return { notes: killed, failures: [] };
  },
  async verify(stage): Promise<FaultReport> {
    const { channel, queue } = subscriber!;
    const failures: string[] = [];

    // Every job is final, so every event is recorded. Once none is left unpublished, each is confirmed by the
    // broker, so in the queue: no more can come, and the queue can be read to its end.
    const deadline = Date.now() + PUBLISH_WAIT_MS;
    let unpublished: number;
    while ((unpublished = await unpublishedEvents(stage)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (unpublished > 0) failures.push(`${unpublished} event(s) still unpublished ${PUBLISH_WAIT_MS / 1000} s after the drain`);

    const messages: amqp.GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) break;
      messages.push(message);
    }

    const workouts = await stage.db.query<{ id: string }>(`SELECT id::text FROM workouts`);
    const recorded = await stage.db.query<{ id: string; workout_id: string | null }>(`SELECT id::text, data->>'workoutId' AS workout_id FROM events WHERE type = 'workout.saved'`);
    const recordedIds = new Set(recorded.map((event) => event.id));

    // Per workout: the distinct event ids that name it, and how many messages carried them.
    const eventsByWorkout = new Map<string, Set<string>>();
    const copiesByEvent = new Map<string, number>();
    const wrongType: string[] = [];
    const malformed: string[] = [];
    const notRecorded: string[] = [];
    for (const message of messages) {
      let event: { id?: string; type?: string; data?: { workoutId?: string } };
      try {
        event = JSON.parse(message.content.toString('utf8'));
      } catch {
        malformed.push(`unparsable body ${message.content.toString('utf8').slice(0, 80)}`);
        continue;
      }
      const messageId = message.properties.messageId as string | undefined;
      if (event.type !== 'workout.saved' || message.fields.routingKey !== 'workout.saved') {
        wrongType.push(`${event.type ?? '?'} (routing key ${message.fields.routingKey})`);
        continue;
      }
      if (!event.id || event.id !== messageId || !event.data?.workoutId) {
        malformed.push(`event ${event.id ?? '?'} with messageId ${messageId ?? 'none'} and workoutId ${event.data?.workoutId ?? 'none'}`);
        continue;
      }
      if (!recordedIds.has(event.id)) notRecorded.push(event.id);
      copiesByEvent.set(event.id, (copiesByEvent.get(event.id) ?? 0) + 1);
      eventsByWorkout.set(event.data.workoutId, (eventsByWorkout.get(event.data.workoutId) ?? new Set()).add(event.id));
    }

    const workoutIds = new Set(workouts.map((workout) => workout.id));
    const silent = workouts.filter((workout) => !eventsByWorkout.has(workout.id)).map((workout) => workout.id);
    const twice = [...eventsByWorkout].filter(([, ids]) => ids.size > 1).map(([workoutId, ids]) => `${workoutId} (${ids.size} events)`);
    const ghosts = [...eventsByWorkout.keys()].filter((workoutId) => !workoutIds.has(workoutId));
    const duplicates = [...copiesByEvent.values()].reduce((sum, copies) => sum + copies - 1, 0);
    const unrecordedEvents = recorded.filter((event) => !copiesByEvent.has(event.id)).map((event) => `${event.id} (workout ${event.workout_id})`);

    if (silent.length > 0) failures.push(`${silent.length} of ${workouts.length} saved workout(s) with no workout.saved event in the queue (first: ${silent.slice(0, SHOWN).join(', ')})`);
    if (twice.length > 0) failures.push(`${twice.length} workout(s) with more than one distinct workout.saved event: ${twice.slice(0, SHOWN).join(', ')}`);
    if (ghosts.length > 0) failures.push(`${ghosts.length} workout.saved event(s) for workouts that are not in the database (a save rolled back): ${ghosts.slice(0, SHOWN).join(', ')}`);
    if (wrongType.length > 0) failures.push(`${wrongType.length} message(s) of another type than workout.saved: ${wrongType.slice(0, SHOWN).join(', ')}`);
    if (malformed.length > 0) failures.push(`${malformed.length} malformed message(s): ${malformed.slice(0, SHOWN).join(', ')}`);
    if (notRecorded.length > 0) failures.push(`${notRecorded.length} message(s) whose event is not in the events table: ${notRecorded.slice(0, SHOWN).join(', ')}`);
    if (unrecordedEvents.length > 0) failures.push(`${unrecordedEvents.length} recorded workout.saved event(s) never reached the queue: ${unrecordedEvents.slice(0, SHOWN).join(', ')}`);

    return {
      notes: [`queue ${BINDING}: ${messages.length} message(s), ${copiesByEvent.size} distinct workout.saved for ${workouts.length} workouts, ${duplicates} duplicate(s)${duplicates > 0 ? ' (same event id)' : ''}`],
      failures,
    };
  },
};

async function workoutCount(stage: Stage): Promise<number> {
  const [{ count }] = await stage.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM workouts`);
  return count;
}

async function unpublishedEvents(stage: Stage): Promise<number> {
  const [{ count }] = await stage.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM events WHERE published_at IS NULL`);
  return count;
}
