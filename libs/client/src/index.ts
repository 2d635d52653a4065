export {
  BatonClient,
  BatonClientOptions,
  FINISHED_STATUSES,
  FinishedStatus,
  Invoice,
  InvoiceProfile,
  InvoiceProfileInput,
  Job,
  JobAccepted,
  JobPage,
  JobStatus,
  JobType,
  ListJobsQuery,
  SubmissionBody,
  SubmitOptions,
  Submitted,
  WaitOptions,
  Workout,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointChanges,
  WebhookEndpointInput,
  WebhookEndpointWithSecret,
  ListWebhookDeliveriesQuery,
  isFinished,
} from './baton-client';
export { BatonApiError, ErrorBody } from './baton-api-error';
export { DEFAULT_RETRY_POLICY, RetryPolicy, retryDelayMs } from './retrying-fetch';
export { EventType, JobEvent, WebhookEvent, WebhookHeaders, WebhookVerificationError, verifyWebhook } from './verify-webhook';
export type { components, operations, paths, webhooks } from './generated/schema';
