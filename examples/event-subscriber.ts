/**
 * A service that reacts to what Baton did, in a few lines of amqplib: it
 * binds a quorum queue of its own to the `baton.events` topic exchange for
 * the event types it wants, and prints each event once as a JSON line.
 *
 *   RABBITMQ_URL=amqp://guest:guest@localhost:5672 \
 *     node -r ts-node/register/transpile-only examples/event-subscriber.ts analytics.workouts 'workout.*'
 *
 * Arguments: the queue's name (it outlives the subscriber: events that
 * arrive while it is down wait there), then one or more binding patterns
 * (`workout.saved`, `workout.*`, `job.#`, `#`; `workout.*` if none).
 * Delivery is at least once: an event may come twice, with the same `id`.
 */
import * as amqp from 'amqplib';

async function main(): Promise<void> {
  const [queue = 'example.workouts', ...patterns] = process.argv.slice(2);
  const connection = await amqp.connect(process.env.RABBITMQ_URL ?? 'amqp://localhost');
  const channel = await connection.createChannel();
  await channel.assertExchange('baton.events', 'topic', { durable: true });
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  for (const pattern of patterns.length > 0 ? patterns : ['workout.*']) await channel.bindQueue(queue, 'baton.events', pattern);
  await channel.prefetch(20);

  // A real service would keep the ids it handled in its own database, in the transaction that handles the event.
  const handled = new Set<string>();
  await channel.consume(queue, (message) => {
    if (!message) return;
    const event = JSON.parse(message.content.toString('utf8'));
    if (!handled.has(event.id)) {
      handled.add(event.id);
      process.stdout.write(`${JSON.stringify(event)}\n`);
    }
    channel.ack(message);
  });
  process.stderr.write(`subscribed: ${queue}\n`);

  const stop = () => void connection.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
