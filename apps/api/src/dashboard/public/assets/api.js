/**
 * The dashboard's one way to reach Baton: same-origin fetches to
 * /dashboard/api, the session cookie sent by the browser, and the CSRF
 * token, kept in this module's memory only, on every state change.
 */
import { announce } from './dom.js';

let csrfToken = null;
let onSessionEnded = () => {};

/** An answer other than 2xx, with the API's error body ({ statusCode, error, message, requestId }). */
export class ApiError extends Error {
  constructor(status, body) {
    super(messageOf(status, body));
    this.status = status;
    this.body = body;
  }
}

function messageOf(status, body) {
  if (body && typeof body.message === 'string') return body.message;
  if (body && Array.isArray(body.message)) return body.message.join('; ');
  return `The request failed (HTTP ${status}).`;
}

/** What to do when a call answers 401: the session ended (expired, signed out elsewhere, key revoked). */
export function whenSessionEnds(handler) {
  onSessionEnded = handler;
}

/**
 * One call to the dashboard's API. `body`, when given, is sent as JSON.
 * Resolves to the parsed answer (null for 204); rejects with an ApiError.
 */
export async function call(method, path, body, options = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    try {
      data = text === '' ? null : JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  // Signing in with a wrong key is also a 401, and is no ended session.
  if (response.status === 401 && !options.signingIn) {
    csrfToken = null;
    onSessionEnded();
  }
  throw new ApiError(response.status, data);
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);

/** A query string from the entries whose value is not empty. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The session, or null when there is none (401). */
export async function readSession() {
  try {
    const session = await call('GET', '/dashboard/api/session', undefined, { signingIn: true });
    csrfToken = session.csrfToken;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Trades the key for a session cookie; the key is not kept anywhere. */
export async function signIn(apiKey) {
  const session = await call('POST', '/dashboard/api/session', { apiKey }, { signingIn: true });
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut() {
  try {
    await call('DELETE', '/dashboard/api/session', undefined, { signingIn: true });
  } finally {
    csrfToken = null;
  }
}

/**
 * Posts an action and says how it went in the live region: `done` on
 * success, the API's own message on a refusal (a 401 is left to the
 * sign-in form). Resolves true when it was done.
 */
export async function postAction(path, done, body) {
  try {
    await post(path, body);
    announce(done);
    return true;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) announce(error.message, 'error');
    return false;
  }
}
