import createClient, { Client } from 'openapi-fetch';
import { BatonApiError } from './baton-api-error';
import type { components, operations, paths } from './generated/schema';
import { DEFAULT_RETRY_POLICY, RetryPolicy, retryingFetch } from './retrying-fetch';

type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobStatus = Job['status'];
export type JobType = Job['type'];
export type JobAccepted = Schemas['JobAccepted'];
export type BatchItemAccepted = Schemas['BatchItemAccepted'];
export type BatchItemReplayed = Schemas['BatchItemReplayed'];
export type BatchItemRefused = Schemas['BatchItemRefused'];
export type JobPage = Schemas['JobPage'];
export type Workout = Schemas['Workout'];
export type Invoice = Schemas['Invoice'];
export type InvoiceProfile = Schemas['InvoiceProfile'];
export type InvoiceProfileInput = Schemas['InvoiceProfileDto'];
export type RetryDeadRequest = Schemas['RetryDeadDto'];
export type RetriedDead = Schemas['RetriedDead'];
export type PurgedDeadLetters = Schemas['PurgedDeadLetters'];
export type ListJobsQuery = NonNullable<operations['listJobs']['parameters']['query']>;
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type WebhookEndpointInput = Schemas['CreateWebhookEndpointDto'];
export type WebhookEndpointChanges = Schemas['UpdateWebhookEndpointDto'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type WebhookDeliveryPage = Schemas['WebhookDeliveryPage'];
export type ListWebhookDeliveriesQuery = NonNullable<operations['listWebhookDeliveries']['parameters']['query']>;
export type Schedule = Schemas['Schedule'];
export type ScheduleInput = Schemas['CreateScheduleDto'];
export type ScheduleChanges = Schemas['UpdateScheduleDto'];

/** The body each job type's `POST /v1/<type>` takes, as the API's document describes it. */
export type SubmissionBody<T extends JobType> = `/v1/${T}` extends keyof paths
  ? paths[`/v1/${T}`] extends { post: { requestBody: { content: { 'application/json': infer Body } } } }
    ? Body
    : never
  : never;

/** States a job does not leave. */
export const FINISHED_STATUSES = ['completed', 'dead', 'cancelled'] as const satisfies readonly JobStatus[];
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

export interface BatonClientOptions {
  /** Where the API answers, e.g. `https://baton.internal`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Retries of 429 and 503: tries, longest wait, how to wait. */
  retry?: Partial<RetryPolicy>;
  fetch?: typeof fetch;
}

export interface SubmitOptions {
  /** Makes the submission safe to send again; a fresh UUID unless given. */
  idempotencyKey?: string;
  /** Carried with the job through the queue and into the logs. */
  requestId?: string;
}

export interface Submitted extends JobAccepted {
  /** The Idempotency-Key the submission was sent with. */
  idempotencyKey: string;
  /** True when the key had been used before: this is the first submission's job. */
  replayed: boolean;
}

export interface BatchOptions {
  /** Carried with every job of the batch through the queue and into the logs. */
  requestId?: string;
}

/** An item's result, with the idempotency key it was sent with: the key to send it again under. */
export type BatchItemResult = (BatchItemAccepted | BatchItemReplayed | BatchItemRefused) & { idempotencyKey: string };

export interface WaitOptions {
  /** Gives up (throws) after this long; 60 s by default. */
  timeoutMs?: number;
  /** Time between two reads of the job; 500 ms by default. */
  intervalMs?: number;
}

/**
 * Baton's HTTP API, typed from its OpenAPI document. The methods cover the
 * routes a backend uses; `api` is the typed client of every route
 * (openapi-fetch), for the rest.
 */
export class BatonClient {
  readonly api: Client<paths>;
  private readonly retry: RetryPolicy;

  constructor(options: BatonClientOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      headers: { authorization: `Bearer ${options.apiKey}` },
      fetch: retryingFetch(options.fetch ?? globalThis.fetch, this.retry),
    });
  }

  /** Hands Baton a job: `202` for a new one, `200` (`replayed`) for a repeat of an earlier submission with the same key. */
  async submit<T extends JobType>(type: T, body: SubmissionBody<T>, options: SubmitOptions = {}): Promise<Submitted> {
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    const headers = { 'Idempotency-Key': idempotencyKey, ...(options.requestId ? { 'X-Request-Id': options.requestId } : {}) };
    // Every submission route has the same parameters and answers; only the body differs, and SubmissionBody<T> types it.
    const answer = await this.api.POST(`/v1/${type}` as '/v1/workouts', { body: body as SubmissionBody<'workouts'>, params: { header: headers } });
    const accepted = success(answer);
    return { ...accepted, idempotencyKey, replayed: answer.response.headers.get('idempotent-replayed') === 'true' };
  }

  /**
   * Hands Baton up to 500 jobs of one type in one request (`POST
   * /v1/<type>/batch`) and returns each item's result, in order: `202`
   * accepted, `200` replayed, or `400` / `409` with its `errors`. Each item
   * is sent with an `options.idempotencyKey`, a fresh UUID unless it has
   * one, so that the batch can be sent again whole: the items already
   * accepted come back replayed.
   */
  async submitBatch<T extends JobType>(type: T, items: ReadonlyArray<SubmissionBody<T>>, options: BatchOptions = {}): Promise<BatchItemResult[]> {
    const keyed = items.map((item) => {
      const given = (item as { options?: { idempotencyKey?: string | null } | null }).options;
      return { ...(item as object), options: { ...given, idempotencyKey: given?.idempotencyKey ?? crypto.randomUUID() } };
    });
    const headers = options.requestId ? { 'X-Request-Id': options.requestId } : {};
    // Every batch route has the same parameters and answer; only the items differ, and SubmissionBody<T> types them.
    const answer = await this.api.POST(`/v1/${type}/batch` as '/v1/workouts/batch', { body: { items: keyed as SubmissionBody<'workouts'>[] }, params: { header: headers } });
    return success(answer).results.map((result) => ({ ...result, idempotencyKey: keyed[result.index].options.idempotencyKey }));
  }

  async getJob(jobId: string): Promise<Job> {
    return success(await this.api.GET('/v1/jobs/{jobId}', { params: { path: { jobId } } }));
  }

  async listJobs(query: ListJobsQuery = {}): Promise<JobPage> {
    return success(await this.api.GET('/v1/jobs', { params: { query } }));
  }

  /** Sends a dead job back to its queue (`admin`). */
  async retryJob(jobId: string): Promise<JobAccepted> {
    return success(await this.api.POST('/v1/jobs/{jobId}/retry', { params: { path: { jobId } } }));
  }

  /** Sends up to 1,000 dead jobs back to their queues (`admin`: its tenant's; `operator`: every tenant's); `dryRun` only counts them. */
  async retryDead(request: RetryDeadRequest = {}): Promise<RetriedDead> {
    return success(await this.api.POST('/v1/jobs/retry-dead', { body: request }));
  }

  /** Deletes a job type's dead letters; the jobs stay dead (`operator`). */
  async purgeDeadLetters(type: JobType): Promise<PurgedDeadLetters> {
    return success(await this.api.POST('/v1/queues/{name}/dead-letters/purge', { params: { path: { name: type } } }));
  }

  async cancelJob(jobId: string): Promise<Job> {
    return success(await this.api.POST('/v1/jobs/{jobId}/cancel', { params: { path: { jobId } } }));
  }

  async getWorkout(workoutId: string): Promise<Workout> {
    return success(await this.api.GET('/v1/workouts/{workoutId}', { params: { path: { workoutId } } }));
  }

  async getInvoice(invoiceId: string): Promise<Invoice> {
    return success(await this.api.GET('/v1/invoices/{invoiceId}', { params: { path: { invoiceId } } }));
  }

  /** The invoice's PDF, as bytes. */
  async getInvoicePdf(invoiceId: string): Promise<Uint8Array> {
    const answer = await this.api.GET('/v1/invoices/{invoiceId}/pdf', { params: { path: { invoiceId } }, parseAs: 'arrayBuffer' });
    return new Uint8Array(success(answer));
  }

  async putInvoiceProfile(profile: InvoiceProfileInput): Promise<InvoiceProfile> {
    return success(await this.api.PUT('/v1/invoice-profile', { body: profile }));
  }

  async getInvoiceProfile(): Promise<InvoiceProfile> {
    return success(await this.api.GET('/v1/invoice-profile'));
  }

  /** Registers a webhook endpoint (`admin`); the answer holds its secret, shown this once. */
  async createWebhookEndpoint(endpoint: WebhookEndpointInput): Promise<WebhookEndpointWithSecret> {
    return success(await this.api.POST('/v1/webhook-endpoints', { body: endpoint }));
  }

  async listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return success(await this.api.GET('/v1/webhook-endpoints')).endpoints;
  }

  async getWebhookEndpoint(endpointId: string): Promise<WebhookEndpoint> {
    return success(await this.api.GET('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } } }));
  }

  async updateWebhookEndpoint(endpointId: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint> {
    return success(await this.api.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } }, body: changes }));
  }

  async deleteWebhookEndpoint(endpointId: string): Promise<void> {
    const answer = await this.api.DELETE('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } } });
    if (!answer.response.ok) success(answer);
  }

  /** A new secret for the endpoint; the previous one keeps signing for the API's grace period. */
  async rotateWebhookSecret(endpointId: string): Promise<WebhookEndpointWithSecret> {
    return success(await this.api.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', { params: { path: { endpointId } } }));
  }

  async listWebhookDeliveries(query: ListWebhookDeliveriesQuery = {}): Promise<WebhookDeliveryPage> {
    return success(await this.api.GET('/v1/webhook-deliveries', { params: { query } }));
  }

  /** Sends a finished delivery again, with the same webhook-id. */
  async replayWebhookDelivery(deliveryId: string): Promise<WebhookDelivery> {
    return success(await this.api.POST('/v1/webhook-deliveries/{deliveryId}/replay', { params: { path: { deliveryId } } }));
  }

  /** Creates a schedule (`admin`): each tick of its cron expression creates one job of its type. */
  async createSchedule(schedule: ScheduleInput): Promise<Schedule> {
    return success(await this.api.POST('/v1/schedules', { body: schedule }));
  }

  async listSchedules(): Promise<Schedule[]> {
    return success(await this.api.GET('/v1/schedules')).schedules;
  }

  async getSchedule(scheduleId: string): Promise<Schedule> {
    return success(await this.api.GET('/v1/schedules/{scheduleId}', { params: { path: { scheduleId } } }));
  }

  /** Changes its cron expression, time zone or payload, or pauses or resumes it (`admin`). */
  async updateSchedule(scheduleId: string, changes: ScheduleChanges): Promise<Schedule> {
    return success(await this.api.PATCH('/v1/schedules/{scheduleId}', { params: { path: { scheduleId } }, body: changes }));
  }

  async deleteSchedule(scheduleId: string): Promise<void> {
    const answer = await this.api.DELETE('/v1/schedules/{scheduleId}', { params: { path: { scheduleId } } });
    if (!answer.response.ok) success(answer);
  }

  /**
   * Reads the job every `intervalMs` until it is completed, dead or
   * cancelled, and returns it; throws if that takes longer than `timeoutMs`.
   */
  async waitForJob(jobId: string, options: WaitOptions = {}): Promise<Job & { status: FinishedStatus }> {
    const { timeoutMs = 60_000, intervalMs = 500 } = options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.getJob(jobId);
      if (isFinished(job)) return job;
      if (Date.now() + intervalMs > deadline) throw new Error(`job ${jobId} is still ${job.status} after ${timeoutMs} ms`);
      await this.retry.sleep(intervalMs);
    }
  }
}

export function isFinished(job: Job): job is Job & { status: FinishedStatus } {
  return (FINISHED_STATUSES as readonly string[]).includes(job.status);
}

/** The data of a success, or a BatonApiError. */
function success<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error === undefined && answer.data !== undefined) return answer.data;
  throw new BatonApiError(answer.response.status, answer.error as BatonApiError['body'], answer.response.headers.get('x-request-id'));
}
