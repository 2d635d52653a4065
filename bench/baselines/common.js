'use strict';
// What the baselines share, so that each pair does the very same work: the
// HTTP accept (body, validation, job row, publish) and the worker's
// transaction. Every SQL statement is Baton's own, copied from libs/persistence.

const amqp = require('amqplib');
const pg = require('pg');
const http = require('node:http');
const { randomUUID } = require('node:crypto');

const JOB_TYPE = 'workouts';
// Baton's exchange and the workouts queue's binding (libs/messaging/src/topology.ts).
const EXCHANGE = 'baton.jobs';
const TENANT = 'bench';
const MAX_ATTEMPTS = 5;
const BODY_LIMIT_BYTES = 1024 * 1024;
const RUNNABLE = ['queued', 'processing', 'failed'];
// Baton's correlation id: the client's X-Request-Id when it is a plain token, else a fresh UUID.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// JSON is UTF-8: bytes that are not are refused, as Baton refuses them.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

// JobIntakeRepository.insert, without an idempotency key.
const INSERT_JOB = `INSERT INTO jobs (id, type, payload, max_attempts, correlation_id, idempotency_key, request_hash, tenant, api_key_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

// JobExecutionRepository.claim: a runnable job becomes `processing` and spends an attempt.
const CLAIM_JOB = `UPDATE jobs SET
    status = CASE WHEN status IN ('queued', 'processing', 'failed') THEN 'processing' ELSE status END,
    attempts = CASE WHEN status IN ('queued', 'processing', 'failed') THEN attempts + 1 ELSE attempts END,
    updated_at = CASE WHEN status IN ('queued', 'processing', 'failed') THEN now() ELSE updated_at END
  WHERE id = $1 AND type = $2
  RETURNING type, status, attempts, max_attempts, created_at`;

// JobExecutionRepository.completeWith and WorkoutRepository.saveForJob.
const LOCK_JOB = `SELECT status, tenant FROM jobs WHERE id = $1 FOR UPDATE`;
const INSERT_WORKOUT = `INSERT INTO workouts (id, job_id, tenant, user_id, activity, started_at, duration_sec, distance_m, calories, notes)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;
const SET_COLUMNS = ['workout_id', 'position', 'exercise', 'reps', 'weight_kg'];
const COMPLETE_JOB = `UPDATE jobs SET status = 'completed', result = $2, last_error = NULL, updated_at = now(), completed_at = now()
  WHERE id = $1`;

let validateWithBaton;
/**
 * Baton's own validator for a workout, from the job types' catalogue
 * (libs/jobs), as the API and the worker use it. Loaded when a baseline asks
 * for it, not by this file: minimal-accept.js shares this file and must not
 * load Baton's code (nor class-validator) at all.
 */
function batonValidator() {
  if (validateWithBaton === undefined) {
    require('reflect-metadata');
    const { validatePayload } = require('../../dist/libs/jobs/src');
    validateWithBaton = (body) => validatePayload(JOB_TYPE, body);
  }
  return validateWithBaton;
}

/** Log to stderr: stdout carries only the `ready` line. */
function log(name, message) {
  process.stderr.write(`${name}: ${message}\n`);
}

function errorBody(statusCode, message, requestId, errors) {
  return { statusCode, error: http.STATUS_CODES[statusCode] ?? 'Error', message, ...(errors ? { errors } : {}), requestId };
}

function send(res, statusCode, body, headers = {}) {
  const json = JSON.stringify(body);
  res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), ...headers });
  res.end(json);
}

/** The body, at most BODY_LIMIT_BYTES; null (and a 413 sent) when larger. */
function readBody(req, res, requestId) {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = () => {
      // The rest is read and dropped; the connection closes after the answer.
      req.removeAllListeners('data');
      req.resume();
      send(res, 413, errorBody(413, 'Request body is too large', requestId), { connection: 'close' });
      resolve(null);
    };
    if (declared > BODY_LIMIT_BYTES) return tooLarge();
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) tooLarge();
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    // A client that went away mid-body: nothing to answer.
    req.on('error', () => resolve(null));
    req.on('close', () => req.complete || resolve(null));
  });
}

/**
 * The accept half of POST /v1/workouts: body, JSON, `validate(body)`
 * ({valid, payload} or {valid: false, errors}, or a promise of it), the job
 * row (committed), then `enqueue(jobId, payloadJson, correlationId, payload)`,
 * which resolves once the broker has the job; then 202.
 */
function createAcceptServer({ name, pool, validate, enqueue }) {
  const inFlight = new Set();
  const server = http.createServer((req, res) => {
    const work = accept(req, res).finally(() => inFlight.delete(work));
    inFlight.add(work);
  });
  server.inFlight = inFlight;
  return server;

  async function accept(req, res) {
    const offered = req.headers['x-request-id'];
    const requestId = typeof offered === 'string' && ACCEPTABLE_ID.test(offered) ? offered : randomUUID();
    res.setHeader('x-request-id', requestId);
    try {
      const path = req.url.split('?', 1)[0];
      if (path !== '/v1/workouts') return send(res, 404, errorBody(404, `Cannot ${req.method} ${path}`, requestId));
      if (req.method !== 'POST') return send(res, 405, errorBody(405, 'Method not allowed', requestId), { allow: 'POST' });
      const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
      if (mediaType !== 'application/json') {
        req.resume();
        return send(res, 415, errorBody(415, 'Content-Type must be application/json', requestId));
      }
      const raw = await readBody(req, res, requestId);
      if (raw === null) return;
      let body;
      try {
        body = JSON.parse(STRICT_UTF8.decode(raw));
      } catch {
        return send(res, 400, errorBody(400, 'Request body is not valid UTF-8 JSON', requestId));
      }
      const check = await validate(body);
      if (!check.valid) {
        const fields = check.errors.map((error) => error.field).join(', ');
        return send(res, 400, errorBody(400, `Invalid request body: ${fields}`, requestId, check.errors));
      }
      const jobId = randomUUID();
      // Serialized once, for the jsonb column and the message body alike.
      const payload = JSON.stringify(check.payload);
      await pool.query(INSERT_JOB, [jobId, JOB_TYPE, payload, MAX_ATTEMPTS, requestId, null, null, TENANT, null]);
      await enqueue(jobId, payload, requestId, check.payload);
      const statusUrl = `/v1/jobs/${jobId}`;
      send(res, 202, { jobId, status: 'queued', statusUrl }, { location: statusUrl });
    } catch (error) {
      log(name, `POST ${req.url} failed: ${error && error.stack ? error.stack : error}`);
      if (!res.headersSent) send(res, 503, errorBody(503, 'Service temporarily unavailable; retry later', requestId), { 'retry-after': '1' });
      else res.destroy();
    }
  }
}

/** Parses and validates a delivered body as Baton's worker does; the payload, or null. */
async function readPayload(body) {
  let plain = body;
  if (Buffer.isBuffer(body)) {
    try {
      plain = JSON.parse(STRICT_UTF8.decode(body));
    } catch {
      return null;
    }
  }
  const check = await batonValidator()(plain);
  return check.valid ? check.payload : null;
}

/**
 * A job's work, as Baton's worker does it: takes the job (UPDATE ... RETURNING,
 * committed on its own, as JobExecutionRepository.claim is), then in one transaction,
 * under the job row's lock, inserts the workout and its sets and completes
 * the job. With `claimInTransaction` the take is the transaction's first
 * statement instead (one commit per job rather than two).
 *
 * Returns 'completed', 'unknown' (no such job), or 'skipped' (the job was
 * already finished, dead or cancelled).
 */
async function saveWorkout(pool, jobId, workout, { claimInTransaction = false } = {}) {
  if (!claimInTransaction) {
    const { rows } = await pool.query(CLAIM_JOB, [jobId, JOB_TYPE]);
    if (rows.length === 0) return 'unknown';
    if (rows[0].status !== 'processing') return 'skipped';
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (claimInTransaction) {
      const { rows } = await client.query(CLAIM_JOB, [jobId, JOB_TYPE]);
      if (rows.length === 0 || rows[0].status !== 'processing') {
        await client.query('ROLLBACK');
        return rows.length === 0 ? 'unknown' : 'skipped';
      }
    }
    const { rows } = await client.query(LOCK_JOB, [jobId]);
    if (rows.length === 0 || !RUNNABLE.includes(rows[0].status)) {
      await client.query('ROLLBACK');
      return rows.length === 0 ? 'unknown' : 'skipped';
    }
    const workoutId = randomUUID();
    await client.query(INSERT_WORKOUT, [
      workoutId,
      jobId,
      rows[0].tenant,
      workout.userId,
      workout.activity,
      // RFC 3339 allows offsets PostgreSQL cannot store: UTC, as Baton stores it.
      new Date(workout.startedAt).toISOString(),
      workout.durationSec,
      workout.distanceM ?? null,
      workout.calories ?? null,
      workout.notes ?? null,
    ]);
    // One multi-row INSERT: the validator caps a workout at 500 sets, far
    // below PostgreSQL's 65,535 bind parameters per statement.
    const sets = workout.sets ?? [];
    if (sets.length > 0) {
      const values = [];
      const tuples = sets.map((set, position) => {
        const at = values.push(workoutId, position, set.exercise, set.reps, set.weightKg ?? null);
        return `($${at - 4}, $${at - 3}, $${at - 2}, $${at - 1}, $${at})`;
      });
      await client.query(`INSERT INTO workout_sets (${SET_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    }
    await client.query(COMPLETE_JOB, [jobId, { workoutId }]);
    await client.query('COMMIT');
    return 'completed';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * An accept baseline's whole life: PORT, a pool of DATABASE_POOL_SIZE (10)
 * clients, the queue `openQueue(stopping)` opens ({enqueue, close}), the
 * server, `ready`, and on SIGTERM a drain then everything closed.
 */
function serveAccept(name, { validate, openQueue }) {
  run(name, async () => {
    const port = intFromEnv('PORT', undefined);
    if (port === undefined) throw new Error('PORT is required');
    const pool = await openPool(name, intFromEnv('DATABASE_POOL_SIZE', 10));
    let stopping = false;
    const queue = await openQueue(() => stopping);
    const server = createAcceptServer({ name, pool, validate, enqueue: queue.enqueue });
    await new Promise((resolve, reject) => server.once('error', reject).listen(port, resolve));
    onShutdown(name, async () => {
      stopping = true;
      await closeServer(server);
      await queue.close();
      await pool.end();
    });
    ready();
  });
}

/**
 * Publishes jobs to `baton.jobs`/`workouts` on one confirm channel of one
 * amqplib connection: `enqueue` resolves once the broker has confirmed the
 * message (for a quorum queue: a quorum of nodes has written it). The
 * exchange is checked passively at start.
 */
async function openJobPublisher(name, stopping) {
  const { connection, channel } = await openRabbit(name, { confirm: true, stopping });
  await channel.checkExchange(EXCHANGE);
  // A mandatory publish no queue took comes back before its confirm: it must not count.
  const returned = new Set();
  channel.on('return', (message) => returned.add(message.properties.messageId));

  // Baton's publishOptions (libs/messaging/src/job-message.ts), first attempt.
  const enqueue = (jobId, payload, correlationId) =>
    new Promise((resolve, reject) => {
      const options = {
        persistent: true,
        contentType: 'application/json',
        messageId: jobId,
        correlationId,
        type: JOB_TYPE,
        appId: 'baton',
        timestamp: Math.floor(Date.now() / 1000),
        headers: { 'x-baton-attempt': 1 },
        mandatory: true,
      };
      channel.publish(EXCHANGE, JOB_TYPE, Buffer.from(payload), options, (error) => {
        if (returned.delete(jobId)) reject(new Error(`no queue bound for ${EXCHANGE}/${JOB_TYPE}`));
        else if (error) reject(new Error(`publish not confirmed: ${error.message ?? error}`));
        else resolve();
      });
    });
  const close = async () => {
    await channel.close();
    await connection.close();
  };
  return { enqueue, close };
}

/** Runs `stop` once on SIGTERM (or SIGINT), then exits 0; 1 if stopping failed. */
function onShutdown(name, stop) {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error) => {
        log(name, `shutdown failed: ${error && error.stack ? error.stack : error}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/**
 * Closes an accept server: no new connections, idle ones closed, and every
 * request already taken (its job perhaps committed) carried through to its
 * answer, for at most `graceMs`, before the connections close.
 */
async function closeServer(server, graceMs = 5_000) {
  const closed = new Promise((resolve) => server.close(resolve));
  let timer;
  const expired = new Promise((resolve) => (timer = setTimeout(resolve, graceMs)));
  let waiting = true;
  expired.then(() => (waiting = false));
  // A request may still arrive on a kept-alive connection meanwhile: wait for it too.
  while (waiting && server.inFlight.size > 0) await Promise.race([Promise.allSettled([...server.inFlight]), expired]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}

function intFromEnv(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`${name} must be a non-negative integer`);
  return number;
}

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Starts `main`; a start-up failure is reported on stderr with exit code 1. */
function run(name, main) {
  main().catch((error) => {
    log(name, `cannot start: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  });
}

function ready() {
  process.stdout.write('ready\n');
}

/** A pg pool of `max` connections to DATABASE_URL, tried once before it is used. */
async function openPool(name, max) {
  const pool = new pg.Pool({ connectionString: requiredEnv('DATABASE_URL'), max });
  pool.on('error', (error) => log(name, `idle PostgreSQL client: ${error.message}`));
  await pool.query('SELECT 1');
  return pool;
}

/**
 * One amqplib connection to RABBITMQ_URL and one channel (a confirm channel
 * when asked). The process exits if either closes unless `stopping()` says
 * it is shutting down.
 */
async function openRabbit(name, { confirm, stopping }) {
  const connection = await amqp.connect(requiredEnv('RABBITMQ_URL'));
  const exitOnClose = (what) => () => {
    if (stopping()) return;
    log(name, `${what} closed; exiting`);
    process.exit(1);
  };
  connection.on('error', (error) => log(name, `RabbitMQ connection: ${error.message}`));
  connection.on('close', exitOnClose('RabbitMQ connection'));
  const channel = confirm ? await connection.createConfirmChannel() : await connection.createChannel();
  channel.on('error', (error) => log(name, `RabbitMQ channel: ${error.message}`));
  channel.on('close', exitOnClose('RabbitMQ channel'));
  return { connection, channel };
}

module.exports = {
  JOB_TYPE,
  intFromEnv,
  log,
  onShutdown,
  openJobPublisher,
  openPool,
  openRabbit,
  readPayload,
  ready,
  requiredEnv,
  run,
  saveWorkout,
  batonValidator,
  serveAccept,
};
