import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../http/error-body';
import { securityHeaders } from '../http/security-headers';

/** Where the dashboard's files are: beside this module, in the source tree and in dist/ alike (the build copies them). */
const PUBLIC_DIR = join(__dirname, 'public');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * The dashboard pages' own policy: everything from Baton itself, nothing
 * inline, no framing. Every other answer keeps the API's deny-all policy.
 */
export const DASHBOARD_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Not helmet's default here: the development process serves plain HTTP, and a TLS-terminated deployment needs no upgrade.
  upgradeInsecureRequests: null,
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

function asset(path: string): Asset {
  const body = readFileSync(path);
  return { body, contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * Serves the dashboard: its page at /dashboard and /dashboard/, and its
 * files at /dashboard/assets/<name>, read once at start from a fixed list
 * (what the folder holds), so that no request names a path on disk.
 * Revalidated on every load (ETag): the names carry no content hash.
 */
export function serveDashboardAssets(fastify: FastifyInstance): void {
  const page = asset(join(PUBLIC_DIR, 'index.html'));
  const assetsDir = join(PUBLIC_DIR, 'assets');
  const assets = new Map(readdirSync(assetsDir).filter((name) => name in CONTENT_TYPES || extname(name) in CONTENT_TYPES).map((name) => [name, asset(join(assetsDir, name))]));
  const headers = { ...securityHeaders({ contentSecurityPolicy: { directives: DASHBOARD_CSP_DIRECTIVES }, crossOriginResourcePolicy: { policy: 'same-origin' }, xFrameOptions: { action: 'deny' } }), 'cache-control': 'no-cache' };

  const send = (request: FastifyRequest, reply: FastifyReply, found: Asset) => {
    void reply.headers(headers).header('ETag', found.etag);
    if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
    return reply.type(found.contentType).send(found.body);
  };
  for (const url of ['/dashboard', '/dashboard/']) fastify.get(url, (request, reply) => send(request, reply, page));
  fastify.get<{ Params: { name: string } }>('/dashboard/assets/:name', (request, reply) => {
    const found = assets.get(request.params.name);
    if (!found) return reply.code(404).send({ ...errorBody(404, 'No such dashboard file'), requestId: request.id });
    return send(request, reply, found);
  });
}
