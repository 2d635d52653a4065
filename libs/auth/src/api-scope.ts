/** What an API key may do. */
export enum ApiScope {
  /** Submit jobs (POST /v1/workouts, /v1/invoices) and cancel its own. */
  JobsWrite = 'jobs:write',
  /** Read jobs, workouts, invoices and PDFs. */
  JobsRead = 'jobs:read',
  /** Everything in its tenant: also retry and cancel any job, and dead-letter operations. */
  Admin = 'admin',
}

export const API_SCOPES: readonly ApiScope[] = Object.values(ApiScope);

/** What `keys create` grants without --scope: what a mobile backend needs. */
export const DEFAULT_SCOPES: readonly ApiScope[] = [ApiScope.JobsWrite, ApiScope.JobsRead];

export function isApiScope(candidate: string): candidate is ApiScope {
  return (API_SCOPES as readonly string[]).includes(candidate);
}

/** Whether `held` allows `required`: `admin` allows everything. */
export function grantsScope(held: readonly string[], required: ApiScope): boolean {
  return held.includes(required) || held.includes(ApiScope.Admin);
}
