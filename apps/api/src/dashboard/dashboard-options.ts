/** How the dashboard is served; given by the process that mounts the API. */
export interface DashboardOptions {
  /**
   * Whether the session cookie is `Secure` on a request that came over
   * plain HTTP: always in production, where TLS ends in front of the API;
   * not in the development process (`npm start`), which browsers reach at
   * http://localhost.
   */
  secureOverPlainHttp: boolean;
}

export const DASHBOARD_OPTIONS = Symbol('DashboardOptions');
