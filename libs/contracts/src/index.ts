export { JOB_TYPES, JobType, isJobType } from './job-type';
export { EVENT_TYPES, EventEnvelope, EventType, isEventType } from './events';
export { CANCELLABLE_STATUSES, JOB_STATUSES, JobStatus, RUNNABLE_STATUSES } from './job-status';
export { Characters } from './characters';
export { CurrencyCode } from './currency-code';
export { FieldError, PAYLOAD_VALIDATION, PayloadCheck, toFieldErrors, validateBody } from './payload-validation';
export { jobLocation, invoicePdfLocation } from './locations';
export { API_KEY_PATTERN, TENANT_PATTERN } from './tenancy';
export { isUuid } from './uuid';
