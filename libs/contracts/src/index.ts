export { JOB_TYPES, JobType, isJobType } from './job-type';
export { CANCELLABLE_STATUSES, JOB_STATUSES, JobStatus, RUNNABLE_STATUSES } from './job-status';
export { ACTIVITIES, Activity, CreateWorkoutDto, WorkoutSetDto } from './create-workout.dto';
export { CreateInvoiceDto, InvoiceCustomerDto, InvoiceLineDto } from './create-invoice.dto';
export { InvoiceLogoDto, InvoiceProfileDto, InvoiceSellerDto } from './invoice-profile.dto';
export { DEFAULT_INVOICE_NUMBER_PREFIX, INVOICE_NUMBER_PREFIX_PATTERN, formatInvoiceNumber, invoiceYear } from './invoice-number';
export { LOGO_CONTENT_TYPES, LogoContentType, LogoImage, LogoInspection, MAX_LOGO_BYTES, MAX_LOGO_SIDE_PIXELS, inspectLogoImage } from './logo-image';
export {
  FieldError,
  JOB_PAYLOAD_CLASSES,
  JobPayloads,
  PAYLOAD_VALIDATION,
  PayloadCheck,
  toFieldErrors,
  validateBody,
  validatePayload,
} from './payload-validation';
export { jobLocation, invoicePdfLocation } from './locations';
export { InvoiceTotals, PricedLine, computeInvoiceTotals } from './invoice-totals';
export { API_KEY_PATTERN, TENANT_PATTERN } from './tenancy';
export { isUuid } from './uuid';
