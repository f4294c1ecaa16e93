import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { timingSafeEqual } from 'node:crypto';
import { PLATFORM_TENANT, type Principal } from '../../core/access.js';
import type {} from '../../core/http.js';
import type { TokenRefusal, TokenVerifier } from '../../adapters/oidc/types.js';
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

/** How an authentication ended, for `sluice_auth_requests_total` (every label from a fixed set). */
export type AuthObserver = (method: 'key' | 'token' | 'open', result: 'ok' | 'refused' | 'unavailable', reason: string) => void;

/** Options of {@link authPlugin}. */
export interface AuthOptions {
  /** API keys and the principals they map to. */
  keys: Map<string, Principal>;
  /** Open demo mode: a request without a credential acts as platform admin. */
  open: boolean;
  /** Bearer tokens of OpenID providers (`adapters/oidc`); absent: API keys only. */
  tokens?: TokenVerifier | undefined;
  /** Counts each authentication. */
  onAuth?: AuthObserver | undefined;
}

/** Seconds a client is told to wait when the OpenID provider cannot be reached. */
export const IDENTITY_RETRY_AFTER_SEC = 5;

/** The error answered for a refused token: 401 for a token that proves nothing, 403 for a person Sluice does not serve, 503 for a provider out of reach. */
function tokenError(reason: TokenRefusal, message: string) {
  const details = { details: { reason } };
  switch (reason) {
    case 'unavailable':
      return appError('SLUICE_ERR_IDENTITY_UNAVAILABLE', [message], details);
    case 'tenant':
      return appError('SLUICE_ERR_TOKEN_TENANT', [message], details);
    case 'role':
      return appError('SLUICE_ERR_TOKEN_NO_ROLE', [message], details);
    default:
      return appError('SLUICE_ERR_TOKEN_INVALID', [message], details);
  }
}

/**
 * Authentication for every route, in one place: the credential is sent as `Authorization: Bearer …`
 * or `X-API-Key` (or `?key=` on routes that allow it: WebSocket upgrades). It is an API key when one
 * of the configured keys matches (looked up in constant time per key), else — with OpenID providers
 * configured — a bearer token checked by `opts.tokens`, else unknown (401). Either way the request
 * carries the principal it maps to (`core/http.ts`), and the route's `config.access` (roles, platform)
 * is checked the same way; routes that state none need any valid credential.
 * In open demo mode a request without a credential acts as platform admin (a presented one still counts).
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: AuthOptions) => {
  app.decorateRequest('principal', null as unknown as Principal);
  const observe: AuthObserver = opts.onAuth ?? (() => {});
  const missing = opts.tokens
    ? 'missing credential: send Authorization: Bearer <API key or OpenID access token>, or X-API-Key'
    : 'missing API key: send Authorization: Bearer <key> or X-API-Key';
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.access?.public) return;
    const credential = presentedKey(req);
    let principal: Principal | undefined;
    let method: 'key' | 'token' | 'open' = 'key';
    if (credential) {
      principal = lookup(opts.keys, credential);
      if (!principal && opts.tokens?.looksLikeToken(credential)) {
        method = 'token';
        const check = await opts.tokens.verify(credential);
        if (!check.ok) {
          observe('token', check.reason === 'unavailable' ? 'unavailable' : 'refused', check.reason);
          if (check.reason === 'unavailable') void reply.header('retry-after', String(IDENTITY_RETRY_AFTER_SEC));
          throw tokenError(check.reason, check.message);
        }
        principal = check.principal;
      }
      if (!principal) {
        observe('key', 'refused', 'unknown_key');
        throw appError('SLUICE_ERR_UNAUTHENTICATED', [
          opts.tokens ? 'unknown API key (and not an OpenID access token)' : 'unknown API key',
        ]);
      }
    } else if (opts.open) {
      principal = DEMO;
      method = 'open';
    } else {
      observe('key', 'refused', 'missing');
      throw appError('SLUICE_ERR_UNAUTHENTICATED', [missing]);
    }
    observe(method, 'ok', 'ok');
    req.principal = principal;
    const access = req.routeOptions.config?.access;
    if (!access) return;
    if (!access.roles.includes(principal.role)) throw forbidden(principal.role, access.action);
    if (access.platform && principal.tenant !== PLATFORM_TENANT)
      throw forbidden(`${principal.role} of tenant ${principal.tenant}`, access.action);
  });
});
