import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from '../config.js';
import { SluiceError } from '../errors.js';

/** Who may call a route: the roles allowed, and whether the key must be a platform (`*`) key. */
export interface Access {
  roles: readonly Role[];
  platform?: boolean;
  /** Verb for the 403 message, e.g. "read metrics". */
  action: string;
  /** Also accept the key as `?key=` (WebSocket upgrades from browsers cannot set headers). */
  queryKey?: boolean;
  /**
   * Served without a key (a presented one is not looked at). Only for routes that hold no data, such
   * as the wallboard's static page; `req.principal` is not set on them.
   */
  public?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const DEMO: Principal = Object.freeze({ tenant: '*', role: 'admin', keyId: 'open-demo' });

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
 * tenant and a role. A route states its {@link Access}; routes that state none need any valid key.
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
      if (!principal) throw new SluiceError('SLUICE_ERR_UNAUTHENTICATED', ['unknown API key']);
    } else if (opts.open) {
      principal = DEMO;
    } else {
      throw new SluiceError('SLUICE_ERR_UNAUTHENTICATED', ['missing API key: send Authorization: Bearer <key> or X-API-Key']);
    }
    req.principal = principal;
    const access = req.routeOptions.config?.access;
    if (!access) return;
    if (!access.roles.includes(principal.role)) throw new SluiceError('SLUICE_ERR_FORBIDDEN', [principal.role, access.action]);
    if (access.platform && principal.tenant !== '*') throw new SluiceError('SLUICE_ERR_FORBIDDEN', [`${principal.role} of tenant ${principal.tenant}`, access.action]);
  });
});

/**
 * The tenant a request acts on: its key's tenant, or for platform keys the `tenant` asked for
 * (undefined = every tenant). A tenant key asking for another tenant is told it does not exist (404),
 * so existence never leaks across tenants.
 */
export function scopeTenant(principal: Principal, asked: string | undefined): string | undefined {
  if (principal.tenant === '*') return asked;
  if (asked !== undefined && asked !== principal.tenant) throw new SluiceError('SLUICE_ERR_NOT_FOUND', [`tenant ${asked}`]);
  return principal.tenant;
}
