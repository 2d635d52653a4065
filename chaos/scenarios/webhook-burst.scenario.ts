import { Webhook } from 'standardwebhooks';
import { TEST_API_KEY } from '../../test/support/api-keys';
import { ReceivedWebhook, WebhookReceiver } from '../../test/support/webhook-receiver';
import { normalWorkout } from '../support/load-generator';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';
import { Stage } from '../support/stage';

interface WebhookBurstSize extends LoadSize {
  apis: number;
  workers: number;
  /** API processes SIGKILLed, one at a time, each after a pause drawn in `apiGapMs`. */
  apiKills: number;
  apiGapMs: [number, number];
  /** Workers SIGKILLed, each once the receiver has had a number of webhooks drawn in `workerKillAfter`. */
  workerKills: number;
  workerKillAfter: [number, number];
  /** Each workout sleeps this long inside the worker's transaction, drawn in this range. */
  jobMs: [number, number];
  /** After the drain, how long every completed job's webhook may take to arrive, and every delivery to settle. */
  deliveryWaitMs: number;
}

const PATH = '/chaos/job-completed';
/**
 * A delivery's lease is its timeout plus 10 s: one claimed by a worker that
 * is then killed is published again only once that lease is over. A short
 * timeout keeps the wait for those within the scenario's bound.
 */
const WEBHOOK_TIMEOUT_MS = 3_000;
const POLL_MS = 250;
const SHOWN = 5;

/** The receiver, the endpoint and the signature checker of the running scenario (one at a time). */
let receiver: WebhookReceiver | undefined;
let endpoint: { id: string; secret: string } | undefined;
let signatures: SignatureChecker | undefined;

/**
 * Verifies each webhook with `standardwebhooks` as it arrives, as a
 * receiver would: verification refuses a webhook-timestamp more than five
 * minutes old, which the first webhooks of a long run would be by the time
 * the scenario ends.
 */
class SignatureChecker {
  verified = 0;
  readonly failures: string[] = [];
  private checked = 0;
  private running = true;
  private readonly loop: Promise<void>;
  private readonly verifier: Webhook;

  constructor(
    private readonly hooks: WebhookReceiver,
    secret: string,
  ) {
    this.verifier = new Webhook(secret);
    this.loop = this.watch();
  }

  /** Verifies what arrived since the last call. */
  checkNew(): void {
    const requests = this.hooks.requestsTo(PATH);
    for (; this.checked < requests.length; this.checked++) {
      const request = requests[this.checked];
      try {
        this.verifier.verify(request.body, request.headers as Record<string, string>);
        this.verified++;
      } catch (error) {
        this.failures.push(`${String(request.headers['webhook-id'])}: ${(error as Error).message}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async watch(): Promise<void> {
    while (this.running) {
      // Resolves at the next webhook; the bound only lets the loop see that it was stopped.
      await this.hooks.waitForRequests(PATH, this.checked + 1, 1_000).catch(() => undefined);
      this.checkNew();
    }
  }
}

/**
 * 8. API processes and workers SIGKILLed during a burst of workouts while a
 * webhook endpoint subscribes to `job.completed`, on a receiver of the
 * scenario's own. Every completed job's webhook must arrive, signed as
 * Standard Webhooks says; a webhook that arrives more than once (its worker
 * died between the POST and recording the answer, so it was sent again
 * after its lease) must carry the same webhook-id each time: two webhook-ids
 * for one job mean two events, or two deliveries, for one completion.
 * Duplicates are counted and printed.
 */
export const webhookBurst: ScenarioDefinition<WebhookBurstSize> = {
  id: 8,
  title: 'worker and API SIGKILLs during a burst, webhooks on job.completed',
  slug: 'webhook-burst',
  sizes: {
    quick: {
      apis: 2,
      workers: 2,
      apiKills: 1,
      apiGapMs: [500, 2500],
      workerKills: 1,
      workerKillAfter: [60, 250],
      jobMs: [5, 40],
      deliveryWaitMs: 75_000,
      rate: 125,
      jobs: 500,
      maxJobs: 500,
      leadMs: 300,
      tailMs: 500,
    },
    full: {
      apis: 3,
      workers: 3,
      apiKills: 4,
      apiGapMs: [800, 3000],
      workerKills: 4,
      workerKillAfter: [100, 1600],
      jobMs: [5, 60],
      deliveryWaitMs: 120_000,
      rate: 150,
      jobs: 2000,
      maxJobs: 2000,
      leadMs: 1000,
      tailMs: 1000,
    },
  },
  async prepare() {
    endpoint = undefined;
    signatures = undefined;
    receiver = await WebhookReceiver.start();
    return {
      env: {
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_ALLOW_HTTP: '1',
        WEBHOOK_RETRY_SCHEDULE_SEC: '1,1,2,5',
        WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
        RELAY_INTERVAL_MS: '200',
      },
      close: async () => {
        await signatures?.stop();
        await receiver?.close();
        receiver = undefined;
        endpoint = undefined;
        signatures = undefined;
      },
    };
  },
  stage: (size) => ({ apis: size.apis, workers: size.workers }),
  plan: (index, size, random) => normalWorkout('s8', index, random.int(...size.jobMs)),
  async beforeLoad(stage) {
    // Before the first job: deliveries are made for the endpoints that exist when an event is recorded.
    const api = stage.apis.pickServing((items) => items[0]);
    if (!api) throw new Error('no API to register the webhook endpoint with');
    const response = await fetch(`${api}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver!.url(PATH), events: ['job.completed'], description: 'chaos scenario 8' }),
    });
    const body = (await response.json()) as { id?: string; secret?: string };
    if (response.status !== 201 || !body.id || !body.secret) throw new Error(`registering the webhook endpoint answered ${response.status}: ${JSON.stringify(body)}`);
    endpoint = { id: body.id, secret: body.secret };
    const checker = new SignatureChecker(receiver!, body.secret);
    signatures = checker;
    stage.addBackground(() => checker.stop());
  },
  async fault(stage, size, random): Promise<FaultReport> {
    const failures: string[] = [];
    const killed: string[] = [];
    const apiRandom = random.fork('api');
    const workerRandom = random.fork('worker');

    const apiKills = (async () => {
      for (let kill = 0; kill < size.apiKills; kill++) {
        // One at a time, so that another API takes the load meanwhile.
        await Promise.all(stage.apis.members.map((member) => member.ready));
        await new Promise((resolve) => setTimeout(resolve, apiRandom.int(...size.apiGapMs)));
        const victim = apiRandom.pick(stage.apis.members);
        killed.push(victim.name);
        await stage.apis.kill(victim.slot, 'SIGKILL');
      }
    })();

    const workerKills = (async () => {
      const thresholds = [...workerRandom.distinct(size.workerKills, ...size.workerKillAfter)].sort((a, b) => a - b);
      for (const threshold of thresholds) {
        try {
          await receiver!.waitForRequests(PATH, threshold, 120_000);
        } catch (error) {
          failures.push(`webhooks stopped arriving before the worker kill: ${(error as Error).message}`);
          return;
        }
        const members = stage.workers.members;
        const states = await Promise.all(members.map((member) => member.process.isReady()));
        const ready = members.filter((_, index) => states[index]);
        const victim = workerRandom.pick(ready.length > 0 ? ready : members);
        killed.push(`${victim.name} (after ${threshold} webhooks)`);
        await stage.workers.kill(victim.slot, 'SIGKILL');
      }
    })();

    await Promise.all([apiKills, workerKills]);
    await Promise.all(stage.processGroups.flatMap((group) => group.members.map((member) => member.ready)));
    return { notes: [`SIGKILLed: ${killed.join(', ')}`], failures };
  },
  async verify(stage, size): Promise<FaultReport> {
    return verifyDeliveries(stage, size);
  },
};

interface Settled {
  completed: string[];
  pending: number;
  missing: string[];
}

async function verifyDeliveries(stage: Stage, size: WebhookBurstSize): Promise<FaultReport> {
  const hooks = receiver!;
  const { id: endpointId } = endpoint!;
  const failures: string[] = [];
  const notes: string[] = [];

  // Each request's body, parsed once.
  const parsed = new Map<ReceivedWebhook, { jobId?: string; type?: string } | null>();
  const bodyOf = (request: ReceivedWebhook) => {
    if (!parsed.has(request)) {
      try {
        parsed.set(request, JSON.parse(request.body) as { jobId?: string; type?: string });
      } catch {
        parsed.set(request, null);
      }
    }
    return parsed.get(request)!;
  };

  // Every job is final now: poll until each completed one has its webhook and no delivery is left pending.
  const started = Date.now();
  const deadline = started + size.deliveryWaitMs;
  let state: Settled;
  for (;;) {
    state = await settledState(stage, hooks, bodyOf);
    if ((state.missing.length === 0 && state.pending === 0) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const waited = (Date.now() - started) / 1000;
  if (state.missing.length > 0) {
    failures.push(
      `${state.missing.length} of ${state.completed.length} completed job(s) never had their job.completed webhook within ${size.deliveryWaitMs / 1000} s of the drain (first: ${state.missing.slice(0, SHOWN).join(', ')})`,
    );
  }
  if (state.pending > 0) failures.push(`${state.pending} webhook deliveries still pending ${size.deliveryWaitMs / 1000} s after the drain`);

  const requests = hooks.requestsTo(PATH);
  const completed = new Set(state.completed);
  const byJob = new Map<string, ReceivedWebhook[]>();
  const unreadable: string[] = [];
  const strangers: string[] = [];
  for (const request of requests) {
    const body = bodyOf(request);
    if (!body?.jobId || body.type !== 'job.completed') {
      unreadable.push(request.body.slice(0, 120));
      continue;
    }
    if (!completed.has(body.jobId)) strangers.push(body.jobId);
    byJob.set(body.jobId, [...(byJob.get(body.jobId) ?? []), request]);
  }
  if (unreadable.length > 0) failures.push(`${unreadable.length} webhook(s) that are no job.completed event (first: ${unreadable[0]})`);
  if (strangers.length > 0) failures.push(`${strangers.length} webhook(s) for jobs that are not completed (first: ${strangers.slice(0, SHOWN).join(', ')})`);

  // Duplicates: the same delivery sent again is allowed, and must say so with its webhook-id.
  let duplicates = 0;
  const split: string[] = [];
  for (const [jobId, copies] of byJob) {
    duplicates += copies.length - 1;
    const ids = new Set(copies.map((copy) => String(copy.headers['webhook-id'])));
    if (ids.size > 1) split.push(`${jobId} (${copies.length} copies under ${ids.size} webhook-ids)`);
  }
  if (split.length > 0) failures.push(`${split.length} job(s) delivered under more than one webhook-id: ${split.slice(0, SHOWN).join(', ')}`);

  // Every request, signed with the endpoint's secret: checked as they came, the last ones now.
  signatures!.checkNew();
  const badSignatures = signatures!.failures;
  if (badSignatures.length > 0) failures.push(`${badSignatures.length} of ${requests.length} webhook(s) fail signature verification (first: ${badSignatures[0]})`);

  // What Baton says of them: one job.completed event per completed job, one delivery per event, each succeeded, the webhook-id its id.
  const twiceRecorded = await stage.db.query<{ job_id: string; events: number }>(
    `SELECT job_id::text, count(*)::int AS events FROM events WHERE type = 'job.completed' GROUP BY job_id HAVING count(*) > 1`,
  );
  if (twiceRecorded.length > 0) failures.push(`${twiceRecorded.length} job(s) with more than one job.completed event (first: ${twiceRecorded[0].job_id} ×${twiceRecorded[0].events})`);
  const listed = await listDeliveries(stage, endpointId);
  const claimRows = await stage.db.query<{ id: string; claims: number }>(`SELECT id::text, scheduled_attempts AS claims FROM webhook_deliveries`);
  const claims = new Map(claimRows.map((row) => [row.id, row.claims]));
  if (typeof listed === 'string') {
    failures.push(listed);
  } else {
    const byStatus = countBy(listed.map((delivery) => delivery.status));
    const notSucceeded = listed.filter((delivery) => delivery.status !== 'succeeded');
    if (notSucceeded.length > 0) {
      const first = notSucceeded[0];
      failures.push(`deliveries not succeeded: ${formatCounts(byStatus)} (first: ${first.id}, attempts ${JSON.stringify(first.attempts.slice(-2))})`);
    }
    if (listed.length !== completed.size) failures.push(`${listed.length} deliveries listed for ${completed.size} completed jobs`);
    const deliveryIds = new Set(listed.map((delivery) => delivery.id));
    const unknownIds = requests.filter((request) => !deliveryIds.has(String(request.headers['webhook-id'])));
    if (unknownIds.length > 0) failures.push(`${unknownIds.length} webhook(s) whose webhook-id is no delivery of the endpoint`);
    // Attempts recorded: an attempt that failed (a timeout) was retried. A claim whose worker died records none: its delivery is sent again after its lease.
    const retried = listed.filter((delivery) => delivery.attempts.length > 1);
    if (retried.length > 0) {
      const earlier = countBy(retried.flatMap((delivery) => delivery.attempts.slice(0, -1).map((attempt) => attempt.error ?? `answered ${attempt.statusCode}`)));
      notes.push(`${retried.length} deliveries took more than one recorded attempt (earlier attempts: ${formatCounts(earlier)})`);
    }
    const resent = listed.filter((delivery) => (claims.get(delivery.id) ?? 0) > delivery.attempts.length).length;
    if (resent > 0) notes.push(`${resent} deliveries claimed again after their worker died (more claims than attempts recorded)`);
  }

  notes.unshift(
    `webhooks: ${byJob.size} of ${completed.size} completed jobs received (${requests.length} POSTs) ${waited.toFixed(1)} s after the drain, ${duplicates} duplicate(s)${duplicates > 0 ? ', each under its one webhook-id' : ''}; ${signatures!.verified} signatures verified`,
  );
  return { notes, failures };
}

async function settledState(stage: Stage, hooks: WebhookReceiver, bodyOf: (request: ReceivedWebhook) => { jobId?: string } | null): Promise<Settled> {
  const rows = await stage.db.query<{ id: string }>(`SELECT id::text FROM jobs WHERE type = 'workouts' AND status = 'completed'`);
  const [{ pending }] = await stage.db.query<{ pending: number }>(`SELECT count(*)::int AS pending FROM webhook_deliveries WHERE status = 'pending'`);
  const seen = new Set(hooks.requestsTo(PATH).map((request) => bodyOf(request)?.jobId));
  const completed = rows.map((row) => row.id);
  return { completed, pending, missing: completed.filter((id) => !seen.has(id)) };
}

interface DeliveryView {
  id: string;
  eventId: string;
  status: string;
  attempts: Array<{ statusCode: number | null; error: string | null }>;
}

/** Every delivery of the endpoint, through GET /v1/webhook-deliveries a page at a time; a string says why not. */
async function listDeliveries(stage: Stage, endpointId: string): Promise<DeliveryView[] | string> {
  const deliveries: DeliveryView[] = [];
  let cursor: string | null = null;
  do {
    const api = stage.apis.pickServing((items) => items[0]);
    if (!api) return 'no API to list the webhook deliveries with';
    const query = new URLSearchParams({ endpointId, limit: '100', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${api}/v1/webhook-deliveries?${query}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    if (response.status !== 200) return `GET /v1/webhook-deliveries answered ${response.status}: ${(await response.text()).slice(0, 200)}`;
    const page = (await response.json()) as { deliveries: DeliveryView[]; nextCursor: string | null };
    deliveries.push(...page.deliveries);
    cursor = page.nextCursor;
  } while (cursor);
  return deliveries;
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function formatCounts(counts: Map<string, number>): string {
  return [...counts].map(([key, count]) => `${count} ${key}`).join(', ');
}
