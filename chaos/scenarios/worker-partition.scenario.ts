import { normalWorkout } from '../support/load-generator';
import { boundsEnv, FULL_BOUNDS, PartitionBounds, QUICK_BOUNDS } from '../support/partition-bounds';
import { seconds, watchReadiness } from '../support/readiness-watch';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface WorkerPartitionSize extends LoadSize, PartitionBounds {
  /** How long the worker stays cut off: several times the bounds, so that each has run out. */
  partitionMs: number;
  jobMs: [number, number];
}

const REJOIN_TIMEOUT_MS = 60_000;

/**
 * 13. One of two workers cut off from RabbitMQ and PostgreSQL mid-load, by a
 * half-open partition: its network namespace's links are taken down, no
 * socket is closed, so only heartbeats and timeouts tell. RabbitMQ must take
 * the worker for dead after its missed heartbeats and redeliver its
 * unacknowledged jobs to the other worker; the worker itself must notice (its
 * consumers and its database reported down: not ready), and when the links
 * come back it must rejoin by itself, the same process, and report ready
 * again. Jobs the worker had mid-transaction are rolled back by PostgreSQL
 * once idle too long; a commit whose answer was lost is not run again.
 *
 * The worker's readiness is probed through a third link that stays up, as
 * the kubelet on its node would probe it.
 */
export const workerPartition: ScenarioDefinition<WorkerPartitionSize> = {
  id: 13,
  title: 'worker partitioned (half-open) from RabbitMQ and PostgreSQL',
  slug: 'worker-partition',
  sizes: {
    // maxJobs: the load must go on until the worker is back, however long that takes on a busy machine.
    quick: { ...QUICK_BOUNDS, partitionMs: 12_000, jobMs: [100, 400], rate: 30, jobs: 300, maxJobs: 6000, leadMs: 2000, tailMs: 2000 },
    full: { ...FULL_BOUNDS, partitionMs: 30_000, jobMs: [100, 400], rate: 40, jobs: 1200, maxJobs: 12000, leadMs: 3000, tailMs: 5000 },
  },
  stage: (size) => ({ apis: 1, workers: 2, isolate: { role: 'worker', octet: 13 }, env: boundsEnv(size) }),
  plan: (index, size, random) => normalWorkout('s13', index, random.int(...size.jobMs)),
  async fault(stage, size): Promise<FaultReport> {
    const isolated = stage.isolated!;
    const victim = stage.workers.members.find((member) => member.slot === isolated.slot)!;
    const completed = async () => (await stage.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM jobs WHERE status = 'completed'`))[0].count;
    const failures: string[] = [];

    await isolated.namespace.cut('postgres', 'rabbitmq');
    const cutAt = Date.now();
    const watch = watchReadiness(victim.process);
    // Once RabbitMQ has given up on the worker (about two heartbeats), the other worker carries the load alone.
    await new Promise((resolve) => setTimeout(resolve, Math.min(size.partitionMs / 2, size.heartbeatSec * 2_000 + 1_000)));
    const completedEarly = await completed();
    await new Promise((resolve) => setTimeout(resolve, size.partitionMs - (Date.now() - cutAt)));
    const completedDuring = (await completed()) - completedEarly;
    const during = await watch.stop();
    await isolated.namespace.restore('postgres', 'rabbitmq');
    const healedAt = Date.now();
    // A job the worker held unacknowledged runs again on the other one: the first such completion shows when RabbitMQ gave up on it.
    const [{ ms: redeliveredMs }] = await stage.db.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(completed_at)) * 1000 - $1)::int AS ms FROM jobs WHERE attempts > 1 AND completed_at >= to_timestamp($1 / 1000.0)`,
      [cutAt],
    );

    const notReady = await stage.workers.settle(REJOIN_TIMEOUT_MS);
    const rejoinMs = Date.now() - healedAt;
    if (notReady.length > 0) failures.push(`not ready ${REJOIN_TIMEOUT_MS / 1000} s after the links came back: ${notReady.join(', ')}`);
    if (!victim.process.running || stage.workers.members.find((member) => member.slot === isolated.slot) !== victim) {
      failures.push(`${victim.name} did not rejoin: it exited during the partition`);
    }
    if (during.notReadyAfterMs === undefined) failures.push(`${victim.name} stayed ready through ${size.partitionMs / 1000} s cut off`);
    for (const check of ['consumers', 'postgres']) {
      if (during.downAfterMs[check] === undefined) failures.push(`${victim.name} never reported ${check} down while cut off`);
    }
    if (completedDuring === 0) failures.push('no job completed while one worker was cut off: the other did not take over');

    return {
      notes: [
        `cut ${size.partitionMs / 1000} s (heartbeat ${size.heartbeatSec} s, query timeout ${size.queryTimeoutMs / 1000} s): ` +
          `not ready after ${seconds(during.notReadyAfterMs)}, postgres down after ${seconds(during.downAfterMs.postgres)}, ` +
          `consumers down after ${seconds(during.downAfterMs.consumers)}; first redelivered job completed after ${seconds(redeliveredMs ?? undefined)}; ` +
          `${completedDuring} jobs completed by the other worker meanwhile; ` +
          `ready again ${seconds(rejoinMs)} after the heal`,
      ],
      failures,
    };
  },
};
