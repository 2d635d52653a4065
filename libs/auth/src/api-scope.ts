/** What an API key may do. */
export enum ApiScope {
  /** Submit jobs (POST /v1/workouts, /v1/invoices) and cancel its own. */
  JobsWrite = 'jobs:write',
  /** Read jobs, workouts, invoices and PDFs. */
  JobsRead = 'jobs:read',
  /** Everything in its tenant: also retry and cancel any job, and dead-letter operations. */
  Admin = 'admin',
  /**
   * An operator of the whole deployment: everything `admin` may do in its
   * own tenant, and the operations that concern every tenant (a queue's
   * pause and dead letters serve them all). Routes that act across tenants
   * ask for it by name; nothing else reads another tenant's data with it.
   */
  Operator = 'operator',
}

export const API_SCOPES: readonly ApiScope[] = Object.values(ApiScope);

/** What `keys create` grants without --scope: what a mobile backend needs. */
export const DEFAULT_SCOPES: readonly ApiScope[] = [ApiScope.JobsWrite, ApiScope.JobsRead];

export function isApiScope(candidate: string): candidate is ApiScope {
  return (API_SCOPES as readonly string[]).includes(candidate);
}

/** Whether `held` allows `required`: `admin` allows everything but `operator`, which allows everything. */
export function grantsScope(held: readonly string[], required: ApiScope): boolean {
  if (held.includes(required) || held.includes(ApiScope.Operator)) return true;
  return required !== ApiScope.Operator && held.includes(ApiScope.Admin);
}
