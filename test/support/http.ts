/** Small fetch helpers for driving the API in tests. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export async function getJson<T = any>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The job id of a 202 (or idempotent 200) answer. */
export async function jobIdOf(response: Response): Promise<string> {
  return ((await response.json()) as { jobId: string }).jobId;
}
