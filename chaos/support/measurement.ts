import { ChaosDatabase } from './chaos-database';
import { Submission } from './load-generator';

export const FINAL_STATUSES = ['completed', 'dead', 'cancelled'];

/** What one scenario did to the jobs it got accepted, read from the rows (never from logs). */
export interface Measurement {
  /** Requests answered 202. */
  accepted: number;
  /** Accepted normal jobs `completed` with their workout holding every set sent. */
  completed: number;
  /** Accepted jobs `dead`, of any kind. */
  dead: number;
  /** Accepted poison jobs: the ones that must end `dead`. */
  expectedDead: number;
  /**
   * Accepted jobs that did not end as they must: a normal job with no row,
   * not completed, or completed without its workout (or with sets missing);
   * a poison job not dead, or with an effect.
   */
  lost: number;
  /**
   * Requests whose effect was applied more than once, or without its job
   * completing: workouts sharing a job, workouts sharing a request (user id),
   * a workout with more sets than were sent, a workout whose job is not
   * completed. Counted over every row in the database, answered or not.
   */
  appliedTwice: number;
  /** Requests that got no HTTP answer at all (refused connection, reset, timeout), by error. */
  unanswered: Record<string, number>;
  /** Requests answered with something else than 202, by status. */
  rejected: Record<string, number>;
  /** Jobs committed for requests that got no 202 (the answer was lost): they must run too, once. */
  committedUnanswered: number;
  /**
   * The longest any accepted job took from its acceptance to its completion
   * (`completed_at - created_at`, both set by PostgreSQL): a fault's cost to
   * the job it held up most. Undefined if none completed.
   */
  longestWaitSeconds?: number;
  /**
   * The longest time between two consecutive completions of accepted jobs:
   * while the load runs, how long no work got done at all.
   */
  longestStallSeconds?: number;
  /** Accepted jobs that took more than one delivery (a fault hit them mid-way), and the most any took. */
  rerun: number;
  maxAttempts: number;
  /** One line per problem, for the report (the first few of each kind). */
  problems: string[];
}

interface JobRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  workouts: number;
  /** Sets of its fullest workout. */
  sets: number;
}

const SHOWN = 5;

export async function measure(db: ChaosDatabase, submissions: Submission[]): Promise<Measurement> {
  const accepted = submissions.filter((submission) => submission.status === 202 && submission.jobId !== undefined);
  const ids = accepted.map((submission) => submission.jobId!);
  const rows = await db.query<JobRow>(
    `SELECT j.id, j.status, j.attempts, j.last_error,
            count(w.id)::int AS workouts, coalesce(max(w.sets), 0)::int AS sets
       FROM jobs j
       LEFT JOIN (SELECT id, job_id, (SELECT count(*) FROM workout_sets s WHERE s.workout_id = workouts.id) AS sets FROM workouts) w ON w.job_id = j.id
      WHERE j.id = ANY($1::uuid[])
      GROUP BY j.id`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const problems: string[] = [];
  const lostLines: string[] = [];
  let completed = 0;
  let dead = 0;
  let lost = 0;
  for (const submission of accepted) {
    const row = byId.get(submission.jobId!);
    if (row?.status === 'dead') dead++;
    const expected = submission.kind === 'normal' ? 'completed' : 'dead';
    if (!row) {
      lost++;
      lostLines.push(`job ${submission.jobId} (${submission.userId}) answered 202 but has no row`);
    } else if (expected === 'completed' && row.status === 'completed' && row.workouts >= 1 && row.sets >= submission.sets) {
      // Done; done more than once is counted below, as applied twice.
      completed++;
    } else if (expected === 'dead' && row.status === 'dead' && row.workouts === 0) {
      // as it must
    } else {
      lost++;
      lostLines.push(
        `job ${row.id} (${submission.userId}, ${submission.kind}) is ${row.status} after ${row.attempts} attempts with ${row.workouts} workout(s)${row.workouts > 0 ? `, the fullest holding ${row.sets} of ${submission.sets} set(s)` : ''}` +
          `${row.last_error ? `; last error: ${row.last_error.slice(0, 160)}` : ''}`,
      );
    }
  }
  problems.push(...lostLines.slice(0, SHOWN));
  if (lostLines.length > SHOWN) problems.push(`… and ${lostLines.length - SHOWN} more lost`);

  // Over every workout in the database, whichever request it came from.
  const twice = await db.query<{ user_id: string; job_id: string; why: string }>(
    `WITH effects AS (
       SELECT w.id, w.user_id, w.job_id, j.status, j.payload,
              count(*) OVER (PARTITION BY w.job_id) AS per_job,
              count(*) OVER (PARTITION BY w.user_id) AS per_request,
              (SELECT count(*) FROM workout_sets s WHERE s.workout_id = w.id) AS sets
         FROM workouts w LEFT JOIN jobs j ON j.id = w.job_id)
     SELECT user_id, job_id::text,
            concat_ws(', ',
              CASE WHEN per_job > 1 THEN per_job || ' workouts for one job' END,
              CASE WHEN per_request > 1 THEN per_request || ' workouts for one request' END,
              CASE WHEN status IS DISTINCT FROM 'completed' THEN 'workout saved but job ' || coalesce(status, 'missing') END,
              CASE WHEN sets > jsonb_array_length(coalesce(payload->'sets', '[]'::jsonb)) THEN sets || ' sets saved for '
                   || jsonb_array_length(coalesce(payload->'sets', '[]'::jsonb)) || ' sent' END) AS why
       FROM effects
      WHERE per_job > 1 OR per_request > 1 OR status IS DISTINCT FROM 'completed'
         OR sets > jsonb_array_length(coalesce(payload->'sets', '[]'::jsonb))`,
  );
  const twiceRequests = new Map(twice.map((row) => [row.user_id, row]));
  for (const row of [...twiceRequests.values()].slice(0, SHOWN)) problems.push(`applied twice: ${row.user_id} (job ${row.job_id}): ${row.why}`);
  if (twiceRequests.size > SHOWN) problems.push(`… and ${twiceRequests.size - SHOWN} more requests applied twice`);

  const [{ count: committedUnanswered }] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM jobs WHERE type = 'workouts' AND NOT (id = ANY($1::uuid[]))`, [ids]);

  const [{ longest_wait: longestWait, longest_stall: longestStall }] = await db.query<{ longest_wait: number | null; longest_stall: number | null }>(
    `SELECT extract(epoch FROM max(completed_at - created_at))::float AS longest_wait,
            extract(epoch FROM max(stall))::float AS longest_stall
       FROM (SELECT created_at, completed_at, completed_at - lag(completed_at) OVER (ORDER BY completed_at) AS stall
               FROM jobs WHERE id = ANY($1::uuid[]) AND status = 'completed') completions`,
    [ids],
  );

  const unanswered: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  for (const submission of submissions) {
    if (submission.status === undefined) unanswered[submission.error ?? 'unknown'] = (unanswered[submission.error ?? 'unknown'] ?? 0) + 1;
    else if (submission.status !== 202) rejected[submission.status] = (rejected[submission.status] ?? 0) + 1;
  }

  return {
    rerun: rows.filter((row) => row.attempts > 1).length,
    maxAttempts: Math.max(0, ...rows.map((row) => row.attempts)),
    accepted: accepted.length,
    completed,
    dead,
    expectedDead: accepted.filter((submission) => submission.kind !== 'normal').length,
    lost,
    appliedTwice: twiceRequests.size,
    unanswered,
    rejected,
    committedUnanswered,
    longestWaitSeconds: longestWait ?? undefined,
    longestStallSeconds: longestStall ?? undefined,
    problems,
  };
}

/** Jobs of the scenario that are not final yet, in the whole database. */
export async function unfinishedJobs(db: ChaosDatabase): Promise<number> {
  const [{ count }] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM jobs WHERE NOT (status = ANY($1::text[]))`, [FINAL_STATUSES]);
  return count;
}

/** A short description of a job status histogram, for the report of a scenario that did not drain. */
export async function statusCounts(db: ChaosDatabase): Promise<string> {
  const rows = await db.query<{ status: string; count: number }>(`SELECT status, count(*)::int AS count FROM jobs GROUP BY status ORDER BY status`);
  return rows.map((row) => `${row.status} ${row.count}`).join(', ');
}
