/**
 * The live wallboard: a static page (HTML, two small scripts and a stylesheet from `app/wallboard/`) that
 * opens `GET /v1/stream` and shows each skill group's figures across a room.
 *
 * The page itself is served without a key: it holds no data, only the code that asks for it. The
 * data comes over the WebSocket, which needs a key like every other route and is scoped to the key's
 * tenant; the page reads that key from its URL fragment (`/wallboard#key=…`), which browsers never
 * send to a server, so it stays out of access logs and `Referer` headers (the WebSocket upgrade
 * itself has to carry it as `?key=`: browsers cannot set headers on it).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { ROLES } from '../../core/access.js';

/** Options of {@link wallboardRoutes}. */
export interface WallboardOptions {
  /** Service-level threshold T, ms: a longest wait past it turns amber (past 3 T red). Default 20 000. */
  serviceLevelMs?: number;
}

/** The files of the page and what they are served as. */
const FILES = {
  '/wallboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/wallboard/wallboard.js': { file: 'wallboard.js', type: 'text/javascript; charset=utf-8' },
  '/wallboard/tiles.js': { file: 'tiles.js', type: 'text/javascript; charset=utf-8' },
  '/wallboard/wallboard.css': { file: 'wallboard.css', type: 'text/css; charset=utf-8' },
} as const;

/** Paths served without a key (the page and its assets; `/wallboard/` redirects to the page). */
export const WALLBOARD_PATHS: readonly string[] = Object.keys(FILES);

/**
 * Content-Security-Policy of the page: its own script and styles only, no inline code, and network
 * access to its own origin (which covers the `ws:`/`wss:` stream of that origin).
 */
export const WALLBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/**
 * Registers `GET /wallboard` and its assets. Files are read once at registration, so a broken
 * install fails at start, not when someone opens the page.
 */
export async function wallboardRoutes(app: FastifyInstance, opts: WallboardOptions): Promise<void> {
  const slMs = opts.serviceLevelMs ?? 20_000;
  if (!(Number.isInteger(slMs) && slMs > 0)) throw new RangeError(`serviceLevelMs must be a whole number of ms > 0, got ${slMs}`);
  const access = { roles: ROLES, action: 'load the wallboard page', public: true };
  for (const [path, { file, type }] of Object.entries(FILES)) {
    let body = await readFile(new URL(`../wallboard/${file}`, import.meta.url), 'utf8');
    if (file === 'index.html') body = body.replace('{{SERVICE_LEVEL_MS}}', String(slMs));
    app.get(path, { config: { access }, schema: { hide: true } }, async (_req, reply: FastifyReply) =>
      reply
        .type(type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('content-security-policy', WALLBOARD_CSP)
        .send(body),
    );
  }
  // `/wallboard/` would resolve the page's relative URLs one level too deep: send it to the page.
  app.get('/wallboard/', { config: { access }, schema: { hide: true } }, async (_req, reply) => reply.redirect('../wallboard'));
}
