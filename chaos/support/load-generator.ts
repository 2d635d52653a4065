import { TEST_API_KEY } from '../../test/support/api-keys';
import { workoutBody } from '../../test/support/fixtures';

/** What a submitted workout is meant to do: complete, or end `dead` (poison). */
export type JobKind = 'normal' | 'poison' | 'crash';

export interface PlannedJob {
  /** Unique per request in the scenario: the workout row it leads to is found by it. */
  userId: string;
  kind: JobKind;
  body: Record<string, unknown>;
}

/** One request of the load and what came of it. */
export interface Submission {
  index: number;
  userId: string;
  kind: JobKind;
  /** Number of sets sent: the effect must hold exactly these. */
  sets: number;
  target?: string;
  /** The HTTP status, when an answer came. */
  status?: number;
  /** From a 202. */
  jobId?: string;
  /** Why no answer came: the error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, TimeoutError…). */
  error?: string;
  sentAt: number;
  /** When the answer (or the error) came. */
  answeredAt?: number;
}

export interface LoadOptions {
  /** Requests per second, sent at a steady pace whatever the answers. */
  rate: number;
  /** At least this many requests, even if the fault is over sooner. */
  minJobs: number;
  /** Never more than this many, even if the fault lasts longer. */
  maxJobs: number;
  /** The body of request `index`. */
  plan: (index: number) => PlannedJob;
  /** Where request `index` goes: an API base URL, or undefined if none can take it now. */
  target: () => string | undefined;
}

const REQUEST_TIMEOUT_MS = 20_000;
// Enough for the rates used; bounds the sockets open to the API when it stalls.
const MAX_IN_FLIGHT = 64;

/** Submits workouts over HTTP with the suite's key, as a mobile backend would, and records every answer. */
export class LoadGenerator {
  readonly submissions: Submission[] = [];
  startedAt = 0;
  endedAt = 0;

  constructor(private readonly options: LoadOptions) {}

  /** Sends until at least `minJobs` are sent and `until` has settled (the fault is over), then waits for the answers. */
  async run(until: Promise<unknown>): Promise<void> {
    let faultOver = false;
    until.then(
      () => (faultOver = true),
      () => (faultOver = true),
    );
    const { rate, minJobs, maxJobs } = this.options;
    const pending = new Set<Promise<void>>();
    this.startedAt = Date.now();
    for (let index = 0; index < maxJobs && (index < minJobs || !faultOver); index++) {
      const wait = this.startedAt + (index * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      while (pending.size >= MAX_IN_FLIGHT) await Promise.race(pending);
      const request: Promise<void> = this.send(index).finally(() => pending.delete(request));
      pending.add(request);
    }
    await Promise.all(pending);
    this.endedAt = Date.now();
  }

  get accepted(): Submission[] {
    return this.submissions.filter((submission) => submission.status === 202 && submission.jobId !== undefined);
  }

  private async send(index: number): Promise<void> {
    const planned = this.options.plan(index);
    const submission: Submission = {
      index,
      userId: planned.userId,
      kind: planned.kind,
      sets: Array.isArray(planned.body.sets) ? planned.body.sets.length : 0,
      sentAt: Date.now(),
    };
    this.submissions.push(submission);
    const target = this.options.target();
    submission.target = target;
    if (!target) {
      submission.error = 'no API process to send to';
      return;
    }
    try {
      const response = await fetch(`${target}/v1/workouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
        body: JSON.stringify(planned.body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      submission.status = response.status;
      if (response.status === 202) submission.jobId = (JSON.parse(text) as { jobId: string }).jobId;
    } catch (error) {
      submission.status = undefined;
      submission.jobId = undefined;
      submission.error = errorCode(error);
    }
    submission.answeredAt = Date.now();
  }
}

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; name?: string } }).cause;
  return cause?.code ?? cause?.name ?? (error as Error).name ?? String(error);
}

/**
 * A normal workout for request `index` of a scenario. `slowMs` makes its save
 * sleep inside the worker's transaction, `acceptMs` the API's INSERT of its
 * job (see ChaosDatabase).
 */
export function normalWorkout(scenario: string, index: number, slowMs?: number, acceptMs?: number): PlannedJob {
  const userId = slowMs ? `slow-${slowMs}-${scenario}-${index}` : `${scenario}-${index}`;
  const notes = acceptMs ? `accept-slow-${acceptMs}` : `chaos ${scenario} #${index}`;
  const sets = [
    { exercise: 'squat', reps: 5, weightKg: 100 },
    { exercise: 'lunge', reps: 12 },
    { exercise: 'plank', reps: 1 },
  ];
  return { userId, kind: 'normal', body: workoutBody({ userId, sets, notes }) };
}

/** A workout whose save always throws (see ChaosDatabase). */
export function throwingWorkout(scenario: string, index: number): PlannedJob {
  const userId = `poison-${scenario}-${index}`;
  return { userId, kind: 'poison', body: workoutBody({ userId }) };
}

/** A workout whose save "crashes" its worker; `crashId` is its advisory lock key (see ChaosDatabase). */
export function crashingWorkout(scenario: string, index: number, crashId: number): PlannedJob {
  const userId = `crash-${crashId}-${scenario}-${index}`;
  return { userId, kind: 'crash', body: workoutBody({ userId }) };
}
