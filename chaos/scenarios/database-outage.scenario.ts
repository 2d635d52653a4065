import { normalWorkout } from '../support/load-generator';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface DatabaseOutageSize extends LoadSize {
  workers: number;
  outages: number;
  /** How long PostgreSQL stays unreachable. */
  outageMs: [number, number];
  /** Load between two faults. */
  gapMs: [number, number];
  jobMs: [number, number];
}

/**
 * 4. PostgreSQL unavailable under load: every Baton process reaches it
 * through a TCP proxy, which is cut (every connection dropped, new ones
 * refused) for a few seconds and restored; then, once all are ready again,
 * every Baton session is terminated on the server (pg_terminate_backend), as
 * a failover or an administrator would. Transactions cut mid-way must leave
 * no trace; commits whose answer was lost must not run again. The API answers
 * 503 meanwhile: those requests are not accepted.
 */
export const databaseOutage: ScenarioDefinition<DatabaseOutageSize> = {
  id: 4,
  title: 'PostgreSQL unreachable, sessions terminated',
  slug: 'database-outage',
  sizes: {
    quick: { workers: 2, outages: 1, outageMs: [3000, 5000], gapMs: [1500, 2500], jobMs: [10, 100], rate: 40, jobs: 300, leadMs: 1500, tailMs: 1500 },
    full: { workers: 3, outages: 3, outageMs: [2000, 10000], gapMs: [2000, 5000], jobMs: [10, 200], rate: 60, jobs: 1500, leadMs: 3000, tailMs: 3000 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers, databaseProxy: true }),
  plan: (index, size, random) => normalWorkout('s4', index, random.int(...size.jobMs)),
  async fault(stage, size, random): Promise<FaultReport> {
    const proxy = stage.proxy!;
    const notes: string[] = [];
    const whole = async (after: string): Promise<string[]> => {
      const notReady = await stage.settle(60_000);
      return notReady.length > 0 ? [`not ready 60 s after ${after}: ${notReady.join(', ')}`] : [];
    };
    let downMs = 0;
    let terminated = 0;
    for (let outage = 0; outage < size.outages; outage++) {
      if (outage > 0) await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
      const cut = Date.now();
      await proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, random.int(...size.outageMs)));
      await proxy.restore();
      downMs += Date.now() - cut;
      const failures = await whole('the database came back');
      if (failures.length > 0) return { notes, failures };

      await new Promise((resolve) => setTimeout(resolve, random.int(...size.gapMs)));
      const rows = await stage.db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM (
           SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND (application_name LIKE 'chaos-api-%' OR application_name LIKE 'chaos-worker-%')) AS terminated`,
      );
      terminated += rows[0].count;
      const after = await whole('its sessions were terminated');
      if (after.length > 0) return { notes, failures: after };
    }
    notes.push(`database unreachable ${size.outages}×, ${(downMs / 1000).toFixed(1)} s in all; ${terminated} sessions terminated`);
    return { notes, failures: [] };
  },
};
