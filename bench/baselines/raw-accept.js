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

const { batonValidator, openJobPublisher, serveAccept } = require('./common');

const NAME = 'raw-accept';

serveAccept(NAME, { validate: batonValidator(), openQueue: (stopping) => openJobPublisher(NAME, stopping) });
