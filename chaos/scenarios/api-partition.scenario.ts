import { LoadGenerator, normalWorkout, Submission } from '../support/load-generator';
import { NetworkNamespace } from '../support/network-namespace';
import { boundsEnv, FULL_BOUNDS, PartitionBounds, QUICK_BOUNDS } from '../support/partition-bounds';
import { ReadinessTimeline, seconds, watchReadiness } from '../support/readiness-watch';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface ApiPartitionSize extends LoadSize, PartitionBounds {
  /** How long each cut lasts. */
  partitionMs: number;
  /** Load between the two cuts. */
  gapMs: number;
}

const READY_TIMEOUT_MS = 60_000;
/** How long the requests sent during a cut are waited for: past the load generator's own 20 s timeout. */
const ANSWERS_TIMEOUT_MS = 25_000;

/**
 * 14. The API partitioned, half-open, in two cuts under load (its network
 * namespace's links taken down, no socket closed):
 * - from PostgreSQL: every request must get an answer, a 503 once the client's
 *   query timeout (or the pool's connect timeout) runs out, never a hang;
 *   its readiness must fail, so that a Service stops sending it requests;
 * - from RabbitMQ alone: it must go on answering 202, the jobs waiting in
 *   PostgreSQL until the outbox relays them once the link is back.
 * Requests reach it through a third link that stays up.
 */
export const apiPartition: ScenarioDefinition<ApiPartitionSize> = {
  id: 14,
  title: 'API partitioned (half-open) from PostgreSQL, then from RabbitMQ',
  slug: 'api-partition',
  sizes: {
    // maxJobs: the load must still run at the second cut, however long the API takes to be ready again after the first.
    quick: { ...QUICK_BOUNDS, partitionMs: 8_000, gapMs: 3_000, rate: 30, jobs: 300, maxJobs: 6000, leadMs: 2000, tailMs: 2000 },
    full: { ...FULL_BOUNDS, partitionMs: 20_000, gapMs: 5_000, rate: 40, jobs: 1200, maxJobs: 12000, leadMs: 3000, tailMs: 5000 },
  },
  stage: (size) => ({ apis: 1, workers: 1, isolate: { role: 'api', octet: 14 }, env: boundsEnv(size) }),
  plan: (index) => normalWorkout('s14', index),
  async fault(stage, size, _random, load): Promise<FaultReport> {
    const isolated = stage.isolated!;
    const api = stage.apis.members.find((member) => member.slot === isolated.slot)!;
    const notes: string[] = [];
    const failures: string[] = [];

    // Cut from PostgreSQL: answered 503 in bounded time, not ready.
    let readiness!: ReadinessTimeline;
    const databaseCut = await cutFor(size.partitionMs, 'postgres', isolated.namespace, async (during) => {
      const watch = watchReadiness(api.process);
      await during;
      readiness = await watch.stop();
    });
    const readyAgain = stage.apis.settle(READY_TIMEOUT_MS).then((names) => ({ notReady: names, afterMs: Date.now() - databaseCut.to }));
    const databaseAnswers = await answersSentBetween(load, databaseCut);
    failures.push(...tooFewRequests('PostgreSQL', databaseAnswers, size));
    if (readiness.notReadyAfterMs === undefined) failures.push(`the API stayed ready through ${size.partitionMs / 1000} s cut off from PostgreSQL`);
    if (databaseAnswers.unanswered > 0) failures.push(`cut off from PostgreSQL, ${databaseAnswers.unanswered} request(s) got no answer`);
    if (databaseAnswers.byStatus[503] === undefined) failures.push('cut off from PostgreSQL, the API never answered 503');
    const acceptedCutOff = (databaseAnswers.byStatus[202] ?? 0) - (databaseAnswers.afterHeal[202] ?? 0);
    if (acceptedCutOff > 0) failures.push(`cut off from PostgreSQL, the API answered 202 ${acceptedCutOff}× before the link came back: the cut did not hold`);
    const { notReady, afterMs: readyAgainMs } = await readyAgain;
    notes.push(
      `cut from PostgreSQL ${size.partitionMs / 1000} s (query timeout ${size.queryTimeoutMs / 1000} s): ${describeAnswers(databaseAnswers)}; ` +
        `not ready after ${seconds(readiness.notReadyAfterMs)}, ready again ${seconds(readyAgainMs)} after the heal`,
    );
    if (notReady.length > 0) return { notes, failures: [...failures, `not ready ${READY_TIMEOUT_MS / 1000} s after PostgreSQL came back: ${notReady.join(', ')}`] };

    await new Promise((resolve) => setTimeout(resolve, size.gapMs));

    // Cut from RabbitMQ alone: still accepting; the outbox relays once the link is back.
    const brokerCut = await cutFor(size.partitionMs, 'rabbitmq', isolated.namespace);
    const brokerAnswers = await answersSentBetween(load, brokerCut);
    failures.push(...tooFewRequests('RabbitMQ', brokerAnswers, size));
    const refused = brokerAnswers.total - (brokerAnswers.byStatus[202] ?? 0);
    if (refused > 0) failures.push(`cut off from RabbitMQ, ${refused} request(s) not accepted (${describeAnswers(brokerAnswers)})`);
    notes.push(`cut from RabbitMQ ${size.partitionMs / 1000} s (heartbeat ${size.heartbeatSec} s): ${describeAnswers(brokerAnswers)}`);
    return { notes, failures };
  },
};

/** Cuts one link for `ms`, with `watch` running meanwhile (given the end of the cut to await), and returns when it was down. */
async function cutFor(ms: number, link: string, namespace: NetworkNamespace, watch?: (during: Promise<void>) => Promise<void>): Promise<{ from: number; to: number }> {
  await namespace.cut(link);
  const from = Date.now();
  const during = new Promise<void>((resolve) => setTimeout(resolve, ms));
  await (watch ? watch(during) : during);
  const to = Date.now();
  await namespace.restore(link);
  return { from, to };
}

interface Answers {
  total: number;
  byStatus: Record<number, number>;
  /** Of byStatus, the answers that came once the link was back (requests still waiting for a connection then). */
  afterHeal: Record<number, number>;
  unanswered: number;
  /** The longest a request sent during the cut waited for its answer. */
  slowestMs: number;
}

/** The answers to the requests sent while a link was down, once each has one (or the load generator gave up on it). */
async function answersSentBetween(load: LoadGenerator, window: { from: number; to: number }): Promise<Answers> {
  const sent = () => load.submissions.filter((submission: Submission) => submission.sentAt >= window.from && submission.sentAt < window.to);
  const deadline = Date.now() + ANSWERS_TIMEOUT_MS;
  while (sent().some((submission) => submission.answeredAt === undefined) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  const answers: Answers = { total: 0, byStatus: {}, afterHeal: {}, unanswered: 0, slowestMs: 0 };
  for (const submission of sent()) {
    answers.total++;
    if (submission.status === undefined) answers.unanswered++;
    else answers.byStatus[submission.status] = (answers.byStatus[submission.status] ?? 0) + 1;
    if (submission.status !== undefined && submission.answeredAt! >= window.to) answers.afterHeal[submission.status] = (answers.afterHeal[submission.status] ?? 0) + 1;
    answers.slowestMs = Math.max(answers.slowestMs, (submission.answeredAt ?? Date.now()) - submission.sentAt);
  }
  return answers;
}

/** A cut with (almost) no requests sent during it proves nothing: the load must have been running. */
function tooFewRequests(from: string, answers: Answers, size: ApiPartitionSize): string[] {
  const expected = Math.floor((size.rate * size.partitionMs) / 1000 / 2);
  return answers.total < expected ? [`cut off from ${from}, only ${answers.total} request(s) were sent (at least ${expected} expected): the load was not running`] : [];
}

function describeAnswers(answers: Answers): string {
  const statuses = Object.entries(answers.byStatus).map(([status, count]) => `${count}× ${status}${answers.afterHeal[Number(status)] ? ` (${answers.afterHeal[Number(status)]} after the heal)` : ''}`);
  if (answers.unanswered > 0) statuses.push(`${answers.unanswered}× no answer`);
  return `${answers.total} requests sent, ${statuses.join(', ') || 'none answered'}, slowest answer ${seconds(answers.slowestMs)}`;
}
