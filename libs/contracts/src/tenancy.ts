/** Tenant names: short, lowercase, safe in logs, URLs and metric labels. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * A well-formed API key: a bearer token (RFC 6750 b64token) long enough that
 * guessing is hopeless. Baton generates `baton_` and 43 base64url characters;
 * keys imported from elsewhere (a Helm bootstrap Secret) may be any such string.
 */
export const API_KEY_PATTERN = /^[A-Za-z0-9._~+/=-]{32,256}$/;
