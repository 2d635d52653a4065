'use strict';
// Baseline: consumes the workouts queue with amqplib and pg, no framework.
// Per message: Baton's validator on the body, then the job's work as Baton's
// worker does it (take the job; in one transaction, under the job's row
// lock, the workout, its sets and the job's completion), then the ack.
//
//   DATABASE_URL=postgres://... RABBITMQ_URL=amqp://... [PREFETCH=8] [QUEUE=workouts] node bench/baselines/raw-worker.js
//
// CLAIM_IN_TRANSACTION=1 takes the job inside the transaction (one commit
// per job) instead of committing the take first as Baton does (two).
// Prints `ready` once it consumes; SIGTERM stops it after the jobs in hand.

const { intFromEnv, log, onShutdown, openPool, openRabbit, readPayload, ready, run, saveWorkout } = require('./common');

const NAME = 'raw-worker';
// A job that fails for a reason other than its payload (a database error)
// goes back to its queue after this pause, never in a hot loop.
const REQUEUE_PAUSE_MS = 500;

run(NAME, async () => {
  const prefetch = intFromEnv('PREFETCH', 8);
  const queue = process.env.QUEUE || 'workouts';
  const claimInTransaction = process.env.CLAIM_IN_TRANSACTION === '1';
  const pool = await openPool(NAME, prefetch);

  let stopping = false;
  const { connection, channel } = await openRabbit(NAME, { confirm: false, stopping: () => stopping });
  await channel.checkQueue(queue);
  await channel.prefetch(prefetch);

  const counts = { completed: 0, skipped: 0, unknown: 0, invalid: 0, requeued: 0 };
  const inFlight = new Set();

  const handle = async (message) => {
    const jobId = message.properties.messageId;
    const workout = typeof jobId === 'string' && jobId.length > 0 ? await readPayload(message.content) : null;
    if (workout === null) {
      // Not a job anyone can run: to the queue's dead-letter exchange.
      counts.invalid++;
      channel.nack(message, false, false);
      return;
    }
    try {
      const outcome = await saveWorkout(pool, jobId, workout, { claimInTransaction });
      counts[outcome]++;
      channel.ack(message);
    } catch (error) {
      counts.requeued++;
      log(NAME, `job ${jobId} failed, requeued: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
      if (!stopping) channel.nack(message, false, true);
    }
  };

  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message === null) {
        log(NAME, `consumer of ${queue} cancelled by the broker; exiting`);
        process.exit(1);
      }
      const work = handle(message).finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
    { noAck: false },
  );

  onShutdown(NAME, async () => {
    await channel.cancel(consumerTag);
    await Promise.allSettled([...inFlight]);
    stopping = true;
    // Closing the channel returns whatever was prefetched but not started.
    await channel.close();
    await connection.close();
    await pool.end();
    log(NAME, `stopped: ${JSON.stringify(counts)}`);
  });
  ready();
});
