import { TEST_API_KEY } from './api-keys';
import { waitFor } from './wait-for';

/**
 * Small fetch helpers for driving the API in tests. They send the suite's
 * TEST_API_KEY unless `headers` carry an Authorization of their own.
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: withApiKey({ 'content-type': 'application/json', ...headers }), body: JSON.stringify(body) });
}

export async function getJson<T = any>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers: withApiKey(headers) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** `headers`, with the suite's API key unless they name an Authorization already. */
export function withApiKey(headers: Record<string, string>, apiKey: string = TEST_API_KEY): Record<string, string> {
  return Object.keys(headers).some((name) => name.toLowerCase() === 'authorization') ? headers : { ...headers, authorization: `Bearer ${apiKey}` };
}

/** The job id of a 202 (or idempotent 200) answer. */
export async function jobIdOf(response: Response): Promise<string> {
  return ((await response.json()) as { jobId: string }).jobId;
}

/**
 * A metric from a process's /metrics (no key needed), its labels (if any)
 * written as the exposition prints them (`name{a="x",b="y"}`); NaN when it is not there.
 */
export async function metricValue(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
}

/**
 * Runs `change` (a revocation, say) and resolves once the API process at
 * `baseUrl` has heard of it through PostgreSQL: its cached keys are then
 * up to date. Waits first for the API to hear changes at all.
 */
export async function afterApiHearsKeyChange(baseUrl: string, change: () => Promise<unknown>): Promise<void> {
  await waitFor('the API to hear API key changes', async () => ((await metricValue(baseUrl, 'baton_api_key_notifications_live')) === 1 ? true : undefined));
  const heard = await metricValue(baseUrl, 'baton_api_key_changes_heard_total');
  await change();
  await waitFor('the API to hear the key change', async () => ((await metricValue(baseUrl, 'baton_api_key_changes_heard_total')) > heard ? true : undefined));
}
