'use strict';
// Baseline: a BullMQ Worker with pg, no framework, running each job exactly
// as raw-worker.js does: Baton's validator on the payload, then the take and
// the one transaction that saves the workout and its sets and completes the job.
//
//   DATABASE_URL=postgres://... [REDIS_URL=redis://127.0.0.1:6379] [QUEUE_NAME=bench-workouts] [CONCURRENCY=8] node bench/baselines/bullmq-worker.js
//
// CLAIM_IN_TRANSACTION=1 as in raw-worker.js. Prints `ready` once it
// consumes; SIGTERM stops it after the jobs in hand.

const { UnrecoverableError, Worker } = require('bullmq');
const { intFromEnv, log, onShutdown, openPool, readPayload, ready, run, saveWorkout } = require('./common');

const NAME = 'bullmq-worker';

run(NAME, async () => {
  const concurrency = intFromEnv('CONCURRENCY', 8);
  const claimInTransaction = process.env.CLAIM_IN_TRANSACTION === '1';
  const pool = await openPool(NAME, concurrency);

  const counts = { completed: 0, skipped: 0, unknown: 0, invalid: 0 };
  const worker = new Worker(
    process.env.QUEUE_NAME || 'bench-workouts',
    async (job) => {
      const workout = await readPayload(job.data);
      if (workout === null) {
        counts.invalid++;
        // Failed at once, without its retries: no attempt can make it valid.
        throw new UnrecoverableError('invalid payload');
      }
      const outcome = await saveWorkout(pool, job.id, workout, { claimInTransaction });
      counts[outcome]++;
    },
    { connection: { url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' }, concurrency },
  );
  worker.on('error', (error) => log(NAME, `worker: ${error.message}`));
  worker.on('failed', (job, error) => {
    if (!(error instanceof UnrecoverableError)) log(NAME, `job ${job ? job.id : '?'} failed: ${error.message}`);
  });
  await worker.waitUntilReady();

  onShutdown(NAME, async () => {
    // Waits for the jobs in hand.
    await worker.close();
    await pool.end();
    log(NAME, `stopped: ${JSON.stringify(counts)}`);
  });
  ready();
});
