/**
 * The flow studio (`studio/`): a static page built by Vite into `studio/dist/` and served under
 * `/studio`. Like the wallboard, the page and its assets hold no data and are served without a key;
 * every figure comes over the authenticated API with the key the user gives the page (kept in the
 * URL fragment or the tab's session storage, never sent as a query string).
 */
import type { FastifyInstance } from 'fastify';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ROLES } from '../../core/access.js';

/** Where the built bundle is read from (`npm start` builds it first; `npm run build:studio` forces a build). */
const DIST = new URL('../../studio/dist/', import.meta.url);

/**
 * Content-Security-Policy of the studio: its own scripts and styles only, no inline code, no eval,
 * network access to its own origin.
 */
export const STUDIO_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The files of a build, by URL path, read once. Empty when the bundle was not built. */
function readBundle(): Map<string, { body: Buffer; type: string; immutable: boolean }> {
  const files = new Map<string, { body: Buffer; type: string; immutable: boolean }>();
  if (!existsSync(new URL('index.html', DIST))) return files;
  files.set('/studio', { body: readFileSync(new URL('index.html', DIST)), type: 'text/html; charset=utf-8', immutable: false });
  const assets = new URL('assets/', DIST);
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) {
      const type = TYPES[name.slice(name.lastIndexOf('.'))];
      if (type) files.set(`/studio/assets/${name}`, { body: readFileSync(new URL(name, assets)), type, immutable: true });
    }
  }
  return files;
}

/**
 * Registers `GET /studio` and its assets (`/studio/assets/*`, content-hashed, cached for a year).
 * Without a build, `/studio` answers 503 saying how to build it.
 */
export async function studioPageRoutes(app: FastifyInstance): Promise<void> {
  const access = { roles: ROLES, action: 'load the studio page', public: true };
  const files = readBundle();
  const headers = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': STUDIO_CSP,
  };
  if (files.size === 0) {
    app.get('/studio', { config: { access }, schema: { hide: true } }, async (_req, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .headers(headers)
        .send('The flow studio is not built on this machine: run `npm run build:studio` (npm start does it) and restart Sluice.\n'),
    );
  }
  for (const [path, f] of files) {
    app.get(path, { config: { access }, schema: { hide: true } }, async (_req, reply) =>
      reply
        .type(f.type)
        .headers(headers)
        .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(f.body),
    );
  }
  app.get('/studio/', { config: { access }, schema: { hide: true } }, async (_req, reply) => reply.redirect('/studio'));
}
