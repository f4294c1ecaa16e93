/**
 * Who a request acts as, and which tenant it may act on: the principal an API key maps to, the roles,
 * the tenant name rule and tenant scoping, once for every room. Authority comes from the credential,
 * never from the request: a tenant key acts on its own tenant only, and naming another tenant is
 * answered as if it did not exist (404), so existence never leaks across tenants.
 */
import { coreError } from './errors.js';

/** Roles an API key can carry (README, "Authentication"). */
export const ROLES = Object.freeze(['admin', 'router', 'agent', 'viewer'] as const);

/** A role an API key carries. */
export type Role = (typeof ROLES)[number];

/** The tenant of platform keys: they see every tenant. */
export const PLATFORM_TENANT = '*';

/** Tenant names: lower-case letters, digits, `_` and `-`, at most 63, starting with a letter or digit. */
export const TENANT_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';

/** JSON schema of a tenant name (querystrings, bodies, events). */
export const tenantSchema = { type: 'string', pattern: TENANT_PATTERN } as const;

const TENANT = new RegExp(TENANT_PATTERN);

/** True when `name` is a valid tenant name (the platform's `*` is not one). */
export function isTenantName(name: unknown): name is string {
  return typeof name === 'string' && TENANT.test(name);
}

/**
 * Who a request acts as: everything comes from the key's configuration, nothing from the request.
 * Tenant `*` ({@link PLATFORM_TENANT}) is the platform: it sees every tenant.
 */
export interface Principal {
  tenant: string;
  role: Role;
  /**
   * The person the key belongs to (a workflow actor id, matched by `user:` refs and assignments).
   * Absent: the key acts as itself (`key:<keyId>`).
   */
  user?: string;
  /** Groups of that person (matched by `group:` refs in flow permissions); only from configuration. */
  groups?: readonly string[];
  /**
   * The key's label in logs, ticket history, error messages and audit: its configured `name`, or
   * `key#<n>` (its position among the configured keys). Never derived from the key's characters.
   */
  keyId: string;
  /**
   * Present when the credential was a bearer token of an OpenID provider (not an API key): which
   * provider vouched for the person, the token's subject there, and when the token expires (epoch ms).
   * The person id ({@link Principal.user}) comes from the claim the provider's configuration names.
   */
  token?: TokenCredential;
}

/** What a principal signed in with a bearer token carries of it (see {@link Principal.token}). */
export interface TokenCredential {
  /** The configured name of the provider (`SLUICE_OIDC_NAME`, default `oidc`). */
  readonly provider: string;
  /** The token's `iss`. */
  readonly issuer: string;
  /** The token's `sub` at that provider. */
  readonly subject: string;
  /** The token's `exp`, epoch ms. */
  readonly expiresAt: number;
}

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

/**
 * The tenant a read acts on: the key's tenant, or for platform keys the tenant asked for (undefined:
 * every tenant).
 *
 * @param asked the tenant the request names, if any
 * @throws SluiceError `SLUICE_ERR_NOT_FOUND` when a tenant key names another tenant
 */
export function scopeTenant(principal: Principal, asked: string | undefined): string | undefined {
  if (principal.tenant === PLATFORM_TENANT) return asked;
  if (asked !== undefined && asked !== principal.tenant) throw coreError('SLUICE_ERR_NOT_FOUND', `tenant ${asked} not found`);
  return principal.tenant;
}

/** Builds a room's error for a request that names no valid tenant where one is needed. */
export type TenantRefusal = (field: string, rule: string) => Error;

const invalidTenant: TenantRefusal = (field, rule) => coreError('SLUICE_ERR_VALIDATION', rule, { details: { field } });

/**
 * The one tenant an operation acts on: as {@link scopeTenant}, but a platform key must name a valid tenant.
 *
 * @param asked the tenant the request names, if any
 * @param field where the request names it, for the error (`querystring.tenant`, `body.tenant`)
 * @param refuse how the room words the refusal (default `SLUICE_ERR_VALIDATION` naming `field`)
 * @throws SluiceError `SLUICE_ERR_NOT_FOUND` for another tenant; `refuse`'s error when a platform key names none
 */
export function requireTenant(
  principal: Principal,
  asked: string | undefined,
  field: string,
  refuse: TenantRefusal = invalidTenant,
): string {
  const tenant = scopeTenant(principal, asked);
  if (tenant === undefined || tenant === '') throw refuse(field, `${field} is required for platform keys`);
  if (!isTenantName(tenant)) throw refuse(field, `${field} must match ${TENANT_PATTERN}`);
  return tenant;
}
