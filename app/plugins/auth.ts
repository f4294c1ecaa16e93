import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { timingSafeEqual } from 'node:crypto';
import { PLATFORM_TENANT, type Principal } from '../../core/access.js';
import type {} from '../../core/http.js';
import { appError } from '../errors.js';

const DEMO: Principal = Object.freeze({ tenant: PLATFORM_TENANT, role: 'admin', keyId: 'open-demo' });

function presentedKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim();
  const x = req.headers['x-api-key'];
  if (typeof x === 'string') return x.trim();
  if (req.routeOptions.config?.access?.queryKey) {
    const q = (req.query as Record<string, unknown> | undefined)?.key;
    if (typeof q === 'string' && q.length > 0) return q;
  }
  return undefined;
}

/** "role viewer may not read metrics" */
function forbidden(who: string, action: string) {
  return appError('SLUICE_ERR_FORBIDDEN', `role ${who} may not ${action}`);
}

/** Finds a key in constant time per candidate, so timing does not reveal how much of a key matched. */
function lookup(keys: Map<string, Principal>, presented: string): Principal | undefined {
  const p = Buffer.from(presented);
  let found: Principal | undefined;
  for (const [key, principal] of keys) {
    const k = Buffer.from(key);
    if (k.length === p.length && timingSafeEqual(k, p)) found = principal;
  }
  return found;
}

/**
 * API-key authentication for every route: `Authorization: Bearer <key>` or `X-API-Key`, mapped to a
 * tenant and a role (`core/http.ts`). A route states its `Access` in `config.access`; routes that state
 * none need any valid key.
 * In open demo mode a request without a key acts as platform admin (a presented key still counts).
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: { keys: Map<string, Principal>; open: boolean }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.access?.public) return;
    const key = presentedKey(req);
    let principal: Principal | undefined;
    if (key) {
      principal = lookup(opts.keys, key);
      if (!principal) throw appError('SLUICE_ERR_UNAUTHENTICATED', ['unknown API key']);
    } else if (opts.open) {
      principal = DEMO;
    } else {
      throw appError('SLUICE_ERR_UNAUTHENTICATED', ['missing API key: send Authorization: Bearer <key> or X-API-Key']);
    }
    req.principal = principal;
    const access = req.routeOptions.config?.access;
    if (!access) return;
    if (!access.roles.includes(principal.role)) throw forbidden(principal.role, access.action);
    if (access.platform && principal.tenant !== PLATFORM_TENANT)
      throw forbidden(`${principal.role} of tenant ${principal.tenant}`, access.action);
  });
});
