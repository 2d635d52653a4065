'use strict';
// Contender: the least a correct, durable POST /v1/workouts can do. node:http,
// JSON.parse, the workout's fields checked by hand (the rules of Baton's
// CreateWorkoutDto, libs/jobs/src/workouts/create-workout.dto.ts), the job row
// committed with Baton's INSERT (pool of 10), one persistent publish to the
// workouts quorum queue awaited for its confirm, then 202 with the job id.
// No Baton code, no class-validator.
//
//   PORT=3100 DATABASE_URL=postgres://... RABBITMQ_URL=amqp://... node bench/baselines/minimal-accept.js
//
// The topology (exchange baton.jobs, queue workouts) must exist: Baton's
// processes declare it. Prints `ready` when it serves; SIGTERM stops it.

const { openJobPublisher, serveAccept } = require('./common');

const NAME = 'minimal-accept';

const ACTIVITIES = new Set(['run', 'ride', 'swim', 'walk', 'strength', 'yoga', 'other']);
const WORKOUT_FIELDS = new Set(['userId', 'activity', 'startedAt', 'durationSec', 'distanceM', 'calories', 'notes', 'sets']);
const SET_FIELDS = new Set(['exercise', 'reps', 'weightKg']);
/** Largest value of a PostgreSQL `integer` column. */
const PG_INTEGER_MAX = 2_147_483_647;
const MAX_SETS = 500;
// RFC 3339 date-time (the shape class-validator's IsRFC3339 accepts); the calendar is checked apart.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Code points, as PostgreSQL counts a varchar(n); no NUL and no lone surrogate, which it cannot store. */
function text(value, min, max) {
  if (typeof value !== 'string') return `must be a string of ${min} to ${max} characters`;
  if (value.includes('\u0000')) return 'must not contain the NUL character';
  if (!value.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)';
  let count = 0;
  for (const _ of value) if (++count > max) break;
  return count < min || count > max ? `must be ${min} to ${max} characters` : undefined;
}

function integer(value, min, max) {
  return Number.isInteger(value) && value >= min && value <= max ? undefined : `must be an integer from ${min} to ${max}`;
}

// JSON.parse yields only finite numbers; the check stays for what is not JSON.
function number(value, min, max) {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? undefined : `must be a number from ${min} to ${max}`;
}

function dateTime(value) {
  const parts = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (parts === null) return 'must be an RFC 3339 date-time with a time zone, e.g. 2026-11-20T07:30:00Z';
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth ? undefined : 'must be a real calendar date and time';
}

const isPlainObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every field error of a body, as Baton reports them ({field, messages}); none when it is a valid workout. */
function workoutErrors(body) {
  if (!isPlainObject(body)) return [{ field: '(body)', messages: ['must be a JSON object'] }];
  const errors = [];
  const check = (field, message) => message && errors.push({ field, messages: [message] });
  for (const key of Object.keys(body)) if (!WORKOUT_FIELDS.has(key)) check(key, 'is not allowed');
  check('userId', text(body.userId, 1, 64));
  check('activity', ACTIVITIES.has(body.activity) ? undefined : `must be one of ${[...ACTIVITIES].join(', ')}`);
  check('startedAt', dateTime(body.startedAt));
  check('durationSec', integer(body.durationSec, 1, 86_400));
  // Optional fields: absent or null, as class-validator's IsOptional allows.
  if (body.distanceM != null) check('distanceM', number(body.distanceM, 0, Number.MAX_VALUE));
  if (body.calories != null) check('calories', integer(body.calories, 0, PG_INTEGER_MAX));
  if (body.notes != null) check('notes', text(body.notes, 0, 2000));
  if (body.sets != null) {
    if (!Array.isArray(body.sets) || body.sets.length > MAX_SETS) check('sets', `must be an array of at most ${MAX_SETS} sets`);
    else
      body.sets.forEach((set, index) => {
        const at = `sets.${index}`;
        if (!isPlainObject(set)) return check(at, 'must be an object');
        for (const key of Object.keys(set)) if (!SET_FIELDS.has(key)) check(`${at}.${key}`, 'is not allowed');
        check(`${at}.exercise`, text(set.exercise, 1, 100));
        check(`${at}.reps`, integer(set.reps, 1, 1000));
        if (set.weightKg != null) check(`${at}.weightKg`, number(set.weightKg, 0, 1000));
      });
  }
  return errors;
}

function checkWorkout(body) {
  const errors = workoutErrors(body);
  return errors.length === 0 ? { valid: true, payload: body } : { valid: false, errors };
}

serveAccept(NAME, { validate: checkWorkout, openQueue: (stopping) => openJobPublisher(NAME, stopping) });
