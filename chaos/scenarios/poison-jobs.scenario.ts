import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { CRASH_LOCK_CLASS } from '../support/chaos-database';
import { crashingWorkout, LoadGenerator, normalWorkout, PlannedJob, throwingWorkout } from '../support/load-generator';
import { Member } from '../support/process-group';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';
import { SeededRandom } from '../support/seeded-random';
import { Stage } from '../support/stage';

const run = promisify(execFile);

interface PoisonJobsSize extends LoadSize {
  workers: number;
  /** Workouts whose save always throws. */
  throwing: number;
  /** Workouts whose save kills the worker running it. */
  crashing: number;
}

const MAX_ATTEMPTS = 5;
const WATCH_INTERVAL_MS = 50;
/** After the drain, how long no crash may happen any more: no worker is left in a crash loop. */
const QUIET_MS = 3_000;

/** Where the poison goes in the load: drawn once per run, from the seed. */
const placements = new WeakMap<SeededRandom, Map<number, 'poison' | 'crash'>>();

function placement(random: SeededRandom, size: PoisonJobsSize): Map<number, 'poison' | 'crash'> {
  let chosen = placements.get(random);
  if (!chosen) {
    chosen = new Map();
    const positions = [...random.distinct(size.throwing + size.crashing, 5, size.jobs - 1)];
    positions.forEach((position, index) => chosen!.set(position, index < size.throwing ? 'poison' : 'crash'));
    placements.set(random, chosen);
  }
  return chosen;
}

/**
 * Kills the worker whose session runs a crashing workout, as that payload
 * would kill its process, and starts it again as a supervisor would. The
 * session is found by the advisory lock the workout takes, and its worker by
 * the session's application_name (or, failing that, by the session's client
 * port among the workers' sockets). The orphaned session is terminated then:
 * PostgreSQL does not notice a dead client while a statement sleeps.
 */
class CrashWatcher {
  /** Per crashing job (its lock key): deliveries that ended with their worker killed. */
  readonly crashesByJob = new Map<number, number>();
  /** Workers killed. */
  kills = 0;
  readonly unmatched: string[] = [];
  private readonly handled = new Set<number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly stage: Stage) {
    this.loop = this.watch();
  }

  /** Crashing deliveries seen, over every crashing job. */
  get crashes(): number {
    return [...this.crashesByJob.values()].reduce((sum, count) => sum + count, 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async watch(): Promise<void> {
    while (this.running) {
      try {
        const sessions = await this.stage.db.query<{ pid: number; application_name: string; client_port: number | null; crash: number }>(
          `SELECT a.pid, a.application_name, a.client_port, l.objid::int AS crash
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.granted AND a.datname = current_database()`,
          [CRASH_LOCK_CLASS],
        );
        for (const session of sessions) {
          if (this.handled.has(session.pid)) continue;
          this.handled.add(session.pid);
          const worker = this.stage.workers.bySessionName(session.application_name) ?? (await this.byClientPort(session.client_port));
          if (worker) {
            this.crashesByJob.set(session.crash, (this.crashesByJob.get(session.crash) ?? 0) + 1);
            // Already gone when it ran two crashing jobs at once: killed for the other one.
            if (worker.process.running) {
              this.kills++;
              await this.stage.workers.kill(worker.slot, 'SIGKILL');
            }
          } else {
            this.unmatched.push(`${session.application_name || '?'}:${session.client_port ?? '?'}`);
          }
          await this.stage.db.query('SELECT pg_terminate_backend($1)', [session.pid]);
        }
      } catch {
        // A transient failure of the harness's own query: look again.
      }
      await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
    }
  }

  private async byClientPort(port: number | null): Promise<Member | undefined> {
    if (port === null) return undefined;
    try {
      const { stdout } = await run('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`]);
      const pid = /pid=(\d+)/.exec(stdout)?.[1];
      return pid ? this.stage.workers.byPid(Number(pid)) : undefined;
    } catch {
      return undefined;
    }
  }
}

const watchers = new WeakMap<Stage, CrashWatcher>();

/**
 * 5. Poison jobs mixed into a normal load: workouts whose handler always
 * throws, and workouts whose payload crashes the worker running it (the
 * harness SIGKILLs that worker, and restarts it). Both must end `dead` after
 * their attempts (a crashing delivery spends one too: after JOB_MAX_ATTEMPTS
 * crashes the next delivery gives up), in the dead-letter queue, with every
 * other job completed and every worker up and ready at the end, crashing no
 * more: no crash loop.
 */
export const poisonJobs: ScenarioDefinition<PoisonJobsSize> = {
  id: 5,
  title: 'poison jobs (throwing, crashing)',
  slug: 'poison-jobs',
  sizes: {
    quick: { workers: 3, throwing: 4, crashing: 2, rate: 30, jobs: 240, leadMs: 0, tailMs: 0 },
    full: { workers: 4, throwing: 12, crashing: 4, rate: 50, jobs: 1200, leadMs: 0, tailMs: 0 },
  },
  stage: (size) => ({ apis: 1, workers: size.workers, env: { JOB_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } }),
  plan(index, size, random): PlannedJob {
    const kind = placement(random, size).get(index);
    if (kind === 'poison') return throwingWorkout('s5', index);
    if (kind === 'crash') return crashingWorkout('s5', index, index);
    return normalWorkout('s5', index);
  },
  async fault(stage): Promise<FaultReport> {
    // The poison is in the load itself; the watcher plays the crashing payload until the processes stop.
    const watcher = new CrashWatcher(stage);
    watchers.set(stage, watcher);
    stage.addBackground(() => watcher.stop());
    return { notes: [], failures: [] };
  },
  async verify(stage, size, load: LoadGenerator): Promise<FaultReport> {
    const watcher = watchers.get(stage)!;
    const failures: string[] = [];
    const crashesAtDrain = watcher.crashes;
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    if (watcher.crashes !== crashesAtDrain) failures.push(`workers still crashing ${QUIET_MS / 1000} s after every job was final`);
    if (watcher.unmatched.length > 0) failures.push(`crashing sessions with no worker found: ${watcher.unmatched.join(', ')}`);

    const poison = load.accepted.filter((submission) => submission.kind !== 'normal');
    const rows = await stage.db.query<{ id: string; user_id: string; status: string; attempts: number; last_error: string | null }>(
      `SELECT id, payload->>'userId' AS user_id, status, attempts, last_error FROM jobs WHERE id = ANY($1::uuid[])`,
      [poison.map((submission) => submission.jobId)],
    );
    for (const row of rows) {
      const crashId = /^crash-(\d+)-/.exec(row.user_id)?.[1];
      if (crashId === undefined) {
        if (row.status === 'dead' && row.attempts < MAX_ATTEMPTS) failures.push(`throwing job ${row.id} dead after ${row.attempts} attempts, before its ${MAX_ATTEMPTS}`);
        continue;
      }
      const crashes = watcher.crashesByJob.get(Number(crashId)) ?? 0;
      if (crashes > MAX_ATTEMPTS) failures.push(`crashing job ${row.id} crashed its worker ${crashes} times, more than its ${MAX_ATTEMPTS} attempts`);
      if (crashes === 0) failures.push(`crashing job ${row.id} never reached a worker (status ${row.status})`);
    }
    const crashes = [...watcher.crashesByJob.values()];
    const deadLetters = await deadLetterCount(stage);
    if (deadLetters < poison.length) failures.push(`${deadLetters} message(s) in workouts.dead for ${poison.length} poison job(s)`);
    const bound = size.crashing * MAX_ATTEMPTS;
    if (stage.workers.restarts > bound) failures.push(`${stage.workers.restarts} worker restarts, more than ${bound} (crashing jobs × attempts)`);
    return {
      notes: [
        `${size.throwing} throwing + ${size.crashing} crashing mixed in`,
        `crashes per crashing job: ${crashes.join(', ') || 'none'}`,
        `${watcher.kills} worker kills, ${stage.workers.restarts} restarts`,
        `${deadLetters} in workouts.dead`,
      ],
      failures,
    };
  },
};

/** Messages in the scenario's workouts.dead queue, read over AMQP on its own node. */
async function deadLetterCount(stage: Stage): Promise<number> {
  const connection = await amqp.connect(stage.node.url);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue('workouts.dead')).messageCount;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
