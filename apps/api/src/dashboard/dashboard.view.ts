import { JobEntity, WebhookDelivery } from '@baton/persistence';
import { jobView, JobView } from '../jobs/job.view';
import { webhookDeliveryView, WebhookDeliveryView } from '../webhooks/webhook.view';
import { redactedPayload } from './redacted-payload';

/** A job in the dashboard's list. */
export interface JobSummary {
  id: string;
  tenant: string;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  correlationId: string | null;
  idempotencyKey: string | null;
  error: string | null;
  runAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A job in detail: the /v1 view (with stacks), and what only operators and admins look at. */
export interface JobDetail {
  job: JobView;
  tenant: string;
  payload: unknown;
  redacted: string[];
  correlationId: string | null;
  idempotencyKey: string | null;
  traceId: string | null;
  links: { workout?: string; invoicePdf?: string };
  deliveries: WebhookDeliveryView[];
}

export function jobSummary(job: JobEntity): JobSummary {
  return {
    id: job.id,
    tenant: job.tenant,
    type: job.type,
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    correlationId: job.correlationId,
    idempotencyKey: job.idempotencyKey,
    error: job.lastError,
    runAt: job.runAt?.toISOString() ?? null,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}

export function jobDetail(job: JobEntity, secretFields: readonly string[], deliveries: readonly WebhookDelivery[]): JobDetail {
  const { payload, redacted } = redactedPayload(job.payload, secretFields);
  const result = (job.result ?? {}) as Record<string, unknown>;
  const base = `/dashboard/api/jobs/${job.id}`;
  return {
    job: jobView(job, true),
    tenant: job.tenant,
    payload,
    redacted,
    correlationId: job.correlationId,
    idempotencyKey: job.idempotencyKey,
    traceId: job.traceContext ? traceIdOf(job.traceContext.traceparent) : null,
    links: {
      ...(typeof result.workoutId === 'string' ? { workout: `${base}/workout` } : {}),
      ...(typeof result.invoiceId === 'string' ? { invoicePdf: `${base}/invoice.pdf` } : {}),
    },
    deliveries: deliveries.map(webhookDeliveryView),
  };
}

/** The trace id of a W3C traceparent (`00-<trace id>-<span id>-<flags>`). */
function traceIdOf(traceparent: string | undefined): string | null {
  return traceparent?.split('-')[1] ?? null;
}
