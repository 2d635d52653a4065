import { TestDatabase } from './services';

/**
 * Makes saving a workout slow for user ids that start with `slow-<ms>-`
 * (e.g. `slow-300-7` sleeps 300 ms inside the worker's transaction), with a
 * trigger in the suite's own database: Baton's code is left as it is.
 */
export async function installSlowWorkouts(db: TestDatabase): Promise<void> {
  await db.query(`
    CREATE OR REPLACE FUNCTION baton_test_slow_workouts() RETURNS trigger AS $$
    BEGIN
      IF NEW.user_id LIKE 'slow-%' THEN
        PERFORM pg_sleep(split_part(NEW.user_id, '-', 2)::int / 1000.0);
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await db.query(`CREATE TRIGGER baton_test_slow_workouts BEFORE INSERT ON workouts FOR EACH ROW EXECUTE FUNCTION baton_test_slow_workouts()`);
}

/** Counts, per job, the workouts saved for the given jobs: exactly once means one row each. */
export async function workoutRowsPerJob(db: TestDatabase, jobIds: string[]): Promise<{ rows: number; distinctJobs: number }> {
  const [counts] = await db.query<{ rows: number; distinctJobs: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT job_id)::int AS "distinctJobs" FROM workouts WHERE job_id = ANY($1::uuid[])`,
    [jobIds],
  );
  return counts;
}

export async function countJobs(db: TestDatabase, status: string): Promise<number> {
  const [{ count }] = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM jobs WHERE status = $1`, [status]);
  return count;
}
