'use strict';
// Baseline: POST /v1/workouts with node:http, pg and BullMQ on Redis, no
// framework. The same accept as raw-accept.js (Baton's validator, the job
// row committed as Baton commits it), but the job goes to a BullMQ queue.
//
//   PORT=3200 DATABASE_URL=postgres://... [REDIS_URL=redis://127.0.0.1:6379] [QUEUE_NAME=bench-workouts] node bench/baselines/bullmq-accept.js
//
// Prints `ready` when it serves; SIGTERM stops it.

const { Queue } = require('bullmq');
const { batonValidator, log, serveAccept } = require('./common');

const NAME = 'bullmq-accept';

serveAccept(NAME, {
  validate: batonValidator(),
  openQueue: async () => {
    const queue = new Queue(process.env.QUEUE_NAME || 'bench-workouts', {
      connection: { url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' },
    });
    queue.on('error', (error) => log(NAME, `Redis: ${error.message}`));
    await queue.waitUntilReady();
    return {
      // `add` resolves once Redis has run the script that stores the job.
      enqueue: (jobId, _payload, _correlationId, workout) =>
        queue.add('workouts', workout, { jobId, removeOnComplete: true, removeOnFail: 1000, attempts: 5 }),
      close: () => queue.close(),
    };
  },
});
