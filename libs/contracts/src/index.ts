export { JOB_TYPES, JobType, isJobType } from './job-type';
export { CANCELLABLE_STATUSES, JOB_STATUSES, JobStatus, RUNNABLE_STATUSES } from './job-status';
export { ACTIVITIES, Activity, CreateWorkoutDto, WorkoutSetDto } from './create-workout.dto';
export { CreateInvoiceDto, InvoiceCustomerDto, InvoiceLineDto } from './create-invoice.dto';
export {
  FieldError,
  JOB_PAYLOAD_CLASSES,
  JobPayloads,
  PAYLOAD_VALIDATION,
  PayloadCheck,
  toFieldErrors,
  validatePayload,
} from './payload-validation';
export { jobLocation, invoicePdfLocation } from './locations';
export { InvoiceTotals, PricedLine, computeInvoiceTotals } from './invoice-totals';
export { API_KEY_PATTERN, TENANT_PATTERN } from './tenancy';
export { isUuid } from './uuid';
