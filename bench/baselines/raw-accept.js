'use strict';
// Baseline: POST /v1/workouts with node:http, pg and amqplib, no framework.
// Validates with Baton's validator, commits the job row as Baton does, then
// publishes the job on one confirm channel and answers 202 once the broker
// has confirmed it.
//
//   PORT=3100 DATABASE_URL=postgres://... RABBITMQ_URL=amqp://... node bench/baselines/raw-accept.js
//
// The topology (exchange baton.jobs, queue workouts) must exist: Baton's
// processes declare it. Prints `ready` when it serves; SIGTERM stops it.

const { closeServer, createAcceptServer, intFromEnv, onShutdown, openPool, openRabbit, ready, run } = require('./common');

const NAME = 'raw-accept';
const EXCHANGE = 'baton.jobs';
const ROUTING_KEY = 'workouts';

run(NAME, async () => {
  const port = intFromEnv('PORT', undefined);
  if (port === undefined) throw new Error('PORT is required');
  const pool = await openPool(NAME, intFromEnv('DATABASE_POOL_SIZE', 10));

  let stopping = false;
  const { connection, channel } = await openRabbit(NAME, { confirm: true, stopping: () => stopping });
  await channel.checkExchange(EXCHANGE);
  // A mandatory publish no queue took comes back before its confirm: it must not count.
  const returned = new Set();
  channel.on('return', (message) => returned.add(message.properties.messageId));

  // Baton's publishOptions (libs/messaging/src/job-message.ts), first attempt.
  const publish = (jobId, payload, correlationId) =>
    new Promise((resolve, reject) => {
      const options = {
        persistent: true,
        contentType: 'application/json',
        messageId: jobId,
        correlationId,
        type: ROUTING_KEY,
        appId: 'baton',
        timestamp: Math.floor(Date.now() / 1000),
        headers: { 'x-baton-attempt': 1 },
        mandatory: true,
      };
      channel.publish(EXCHANGE, ROUTING_KEY, Buffer.from(payload), options, (error) => {
        if (returned.delete(jobId)) reject(new Error(`no queue bound for ${EXCHANGE}/${ROUTING_KEY}`));
        else if (error) reject(new Error(`publish not confirmed: ${error.message ?? error}`));
        else resolve();
      });
    });

  const server = createAcceptServer({ name: NAME, pool, enqueue: publish });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, resolve));

  onShutdown(NAME, async () => {
    stopping = true;
    await closeServer(server);
    await channel.close();
    await connection.close();
    await pool.end();
  });
  ready();
});
