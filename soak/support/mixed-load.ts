import { TEST_API_KEY } from '../../test/support/api-keys';
import { invoiceBody } from '../../test/support/fixtures';
import { normalWorkout, Submission } from '../../chaos/support/load-generator';

export const LOAD_KINDS = ['workouts', 'invoices', 'emails'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

/** Requests per second of each kind. */
export type LoadRates = Record<LoadKind, number>;

/** One request of the soak and what came of it. */
export interface SoakSubmission extends Submission {
  type: LoadKind;
}

const REQUEST_TIMEOUT_MS = 20_000;
// Bounds the sockets open to the API if it stalls; far above what the rates need.
export const MAX_IN_FLIGHT = 32;

/** Request `index` of a kind: its path and body, each unique by index so its effect is found by it. */
function request(type: LoadKind, index: number): { path: string; body: Record<string, unknown>; userId: string; sets: number } {
  switch (type) {
    case 'workouts': {
      const planned = normalWorkout('soak', index);
      return { path: '/v1/workouts', body: planned.body, userId: planned.userId, sets: (planned.body.sets as unknown[]).length };
    }
    case 'invoices':
      return { path: '/v1/invoices', body: invoiceBody({ orderId: `soak-${index}` }), userId: `soak-${index}`, sets: 0 };
    case 'emails':
      return {
        path: '/v1/emails',
        body: { to: `customer-${index}@example.com`, template: 'welcome', data: { name: `Customer ${index}` } },
        userId: `soak-${index}`,
        sets: 0,
      };
  }
}

/**
 * Workouts, invoices and emails at steady rates, each kind on its own
 * clock whatever the answers, until `stop()`; every answer is recorded.
 */
export class MixedLoad {
  readonly submissions: SoakSubmission[] = [];
  private running = true;
  private readonly loops: Array<Promise<void>>;

  constructor(
    rates: LoadRates,
    private readonly target: () => string | undefined,
  ) {
    this.loops = (Object.keys(rates) as LoadKind[]).filter((type) => rates[type] > 0).map((type) => this.drive(type, rates[type]));
  }

  /** Stops sending and waits for the answers of what was sent. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  accepted(type: LoadKind): SoakSubmission[] {
    return this.submissions.filter((submission) => submission.type === type && submission.status === 202 && submission.jobId !== undefined);
  }

  private async drive(type: LoadKind, rate: number): Promise<void> {
    const pending = new Set<Promise<void>>();
    const started = Date.now();
    for (let index = 0; this.running; index++) {
      const wait = started + (index * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (!this.running) break;
      while (pending.size >= MAX_IN_FLIGHT) await Promise.race(pending);
      const sent: Promise<void> = this.send(type, index).finally(() => pending.delete(sent));
      pending.add(sent);
    }
    await Promise.all(pending);
  }

  private async send(type: LoadKind, index: number): Promise<void> {
    const { path, body, userId, sets } = request(type, index);
    const submission: SoakSubmission = { type, index, userId, kind: 'normal', sets, sentAt: Date.now() };
    this.submissions.push(submission);
    const target = this.target();
    submission.target = target;
    if (!target) {
      submission.error = 'no API process to send to';
      return;
    }
    try {
      const response = await fetch(`${target}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      submission.status = response.status;
      if (response.status === 202) submission.jobId = (JSON.parse(text) as { jobId: string }).jobId;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      submission.error = cause?.code ?? (error as Error).name;
    }
  }
}
