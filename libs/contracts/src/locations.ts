/** Paths clients follow to read a job and an invoice's PDF; relative, so they hold behind any proxy. */
export const jobLocation = (jobId: string): string => `/v1/jobs/${jobId}`;
export const invoicePdfLocation = (invoiceId: string): string => `/v1/invoices/${invoiceId}/pdf`;
export const workoutLocation = (workoutId: string): string => `/v1/workouts/${workoutId}`;
