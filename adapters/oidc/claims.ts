/**
 * The claims of a verified token, read into a {@link Principal}: which tenant, which Sluice role,
 * which groups, which person. Every value comes from the provider's signed claims and the issuer's
 * configuration, never from the request; every list read is bounded.
 */
import type { JWTPayload } from 'jose';
import { isTenantName, ROLES, type Principal, type Role } from '../../core/access.js';
import type { IssuerSettings, TokenCheck } from './types.js';

/** Person and group ids: the rule API keys' `user` and `groups` follow (`app/api-keys.ts`). */
export const PERSON_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
/** Most groups a token may carry (Entra ID puts up to 200 in a token, then an overage claim). */
export const MAX_TOKEN_GROUPS = 256;
/** Most values of the roles claim looked at (providers add their own roles: offline_access, …). */
export const MAX_TOKEN_ROLES = 256;
/** Deepest dotted path a claim setting may name (`resource_access.sluice.roles`). */
const MAX_PATH = 8;

/**
 * When a token maps onto several Sluice roles, the principal holds the first of this order: `admin`
 * may do all the others do, and a person who is both agent and router works tickets.
 */
export const ROLE_PRECEDENCE: readonly Role[] = Object.freeze(['admin', 'agent', 'router', 'viewer'] as const);

/**
 * The value of claim `name`: the top-level claim of that exact name if there is one (names such as
 * `https://acme.example/roles` hold dots), else the dotted path into nested objects
 * (`realm_access.roles`, Keycloak; `resource_access.sluice.roles`).
 */
export function claimAt(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  const parts = name.split('.');
  if (parts.length > MAX_PATH) return undefined;
  let at: unknown = payload;
  for (const p of parts) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, p)) return undefined;
    at = (at as Record<string, unknown>)[p];
  }
  return at;
}

/** A claim's values as strings: a list of strings, or one string (space-separated values are one value). */
function stringsOf(value: unknown, max: number): string[] | 'invalid' | 'too-many' {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return 'invalid';
  if (value.length > max) return 'too-many';
  return value.every((v) => typeof v === 'string') ? (value as string[]) : 'invalid';
}

const refused = (reason: 'claims' | 'tenant' | 'role', message: string): TokenCheck => ({ ok: false, reason, message });

/**
 * Reads a verified token's claims into a principal under the provider's settings.
 *
 * - person: `userClaim` (a string matching {@link PERSON_ID}) — missing or malformed → `claims` (401);
 * - tenant: the fixed tenant, or `tenant.claim`; one the provider does not serve (`tenants`) → `tenant` (403);
 * - role: the values of `rolesClaim` mapped through `roleMap`, the first of {@link ROLE_PRECEDENCE}; none → `role` (403);
 * - groups: the values of `groupsClaim`, each matching {@link PERSON_ID}, at most {@link MAX_TOKEN_GROUPS}.
 *
 * The principal's label is `<provider name>:<person>`: a person's tokens share the per-key limits.
 */
export function principalFromClaims(payload: JWTPayload, settings: IssuerSettings): TokenCheck {
  const claims = payload as Readonly<Record<string, unknown>>;
  const user = claimAt(claims, settings.userClaim);
  if (user === undefined) {
    return refused(
      'claims',
      `the token has no "${settings.userClaim}" claim naming the person (provider ${settings.name}: SLUICE_OIDC_USER_CLAIM)`,
    );
  }
  if (typeof user !== 'string' || !PERSON_ID.test(user)) {
    return refused('claims', `the token's "${settings.userClaim}" claim must be a person id matching ${PERSON_ID.source}`);
  }

  let tenant: unknown;
  if ('fixed' in settings.tenant) tenant = settings.tenant.fixed;
  else {
    tenant = claimAt(claims, settings.tenant.claim);
    if (tenant === undefined)
      return refused('tenant', `the token has no "${settings.tenant.claim}" claim naming the tenant (provider ${settings.name})`);
  }
  if (!isTenantName(tenant) || !settings.tenants.includes(tenant)) {
    const shown = typeof tenant === 'string' ? JSON.stringify(tenant.slice(0, 64)) : 'its value';
    return refused('tenant', `tenant ${shown} of the token is not served here through provider ${settings.name}`);
  }

  const roleValues = stringsOf(claimAt(claims, settings.rolesClaim), MAX_TOKEN_ROLES);
  if (roleValues === 'invalid' || roleValues === 'too-many') {
    return refused('claims', `the token's "${settings.rolesClaim}" claim must be a string or a list of at most ${MAX_TOKEN_ROLES} strings`);
  }
  const mapped = new Set<Role>();
  for (const v of roleValues) {
    const role = Object.hasOwn(settings.roleMap, v) ? settings.roleMap[v] : undefined;
    if (role !== undefined && (ROLES as readonly string[]).includes(role)) mapped.add(role);
  }
  const role = ROLE_PRECEDENCE.find((r) => mapped.has(r));
  if (role === undefined) {
    return refused(
      'role',
      `the token's "${settings.rolesClaim}" claim holds no role mapped to a Sluice role (provider ${settings.name}: SLUICE_OIDC_ROLE_MAP maps ${Object.keys(settings.roleMap).join(', ') || 'nothing'})`,
    );
  }

  let groups: string[] = [];
  if (settings.groupsClaim !== undefined) {
    const values = stringsOf(claimAt(claims, settings.groupsClaim), MAX_TOKEN_GROUPS);
    if (values === 'invalid' || values === 'too-many' || !values.every((g) => PERSON_ID.test(g))) {
      return refused(
        'claims',
        `the token's "${settings.groupsClaim}" claim must be a list of at most ${MAX_TOKEN_GROUPS} group ids matching ${PERSON_ID.source}`,
      );
    }
    groups = [...new Set(values)];
  }

  const principal: Principal = Object.freeze({
    tenant,
    role,
    keyId: `${settings.name}:${user}`,
    user,
    groups: Object.freeze(groups),
    token: Object.freeze({
      provider: settings.name,
      issuer: settings.issuer,
      subject: typeof payload.sub === 'string' ? payload.sub : '',
      expiresAt: (payload.exp ?? 0) * 1000,
    }),
  });
  return { ok: true, principal };
}
