/**
 * The OpenID providers whose bearer tokens Sluice accepts, from the environment (README, "Signing in
 * (OpenID Connect)"): one provider from the `SLUICE_OIDC_*` variables, more from
 * `SLUICE_OIDC_ISSUERS_FILE`. Every rule is checked at start; a message names the variable (or the
 * file's entry) and the rule.
 */
import { readFileSync } from 'node:fs';
import { isTenantName, ROLES, type Role } from '../core/access.js';
import { plainHttpAllowed, REMOTE_KEYS_DEFAULTS } from '../adapters/oidc/remote-keys.js';
import { ASYMMETRIC_ALGORITHMS, type IssuerSettings } from '../adapters/oidc/types.js';
import { appError } from './errors.js';

/** The OpenID part of the configuration. */
export interface OidcConfig {
  /** The providers, issuers and names unique; empty: bearer tokens are not accepted (API keys only). */
  readonly issuers: readonly IssuerSettings[];
  /** How the providers' keys are fetched and kept (ms). */
  readonly keys: { readonly timeoutMs: number; readonly cooldownMs: number; readonly cacheMaxAgeMs: number };
}

/** Defaults of a provider's settings (the variables' defaults). */
export const OIDC_DEFAULTS = Object.freeze({
  name: 'oidc',
  tenantClaim: 'tenant',
  userClaim: 'preferred_username',
  rolesClaim: 'roles',
  groupsClaim: 'groups',
  clockToleranceSec: 30,
  roleMap: Object.freeze(Object.fromEntries(ROLES.map((r) => [r, r])) as Record<string, Role>),
});

/** The JSON schema of the `SLUICE_OIDC_*` variables, merged into the environment schema of `config.ts`. */
export const OIDC_ENV_SCHEMA = {
  SLUICE_OIDC_ISSUER: { type: 'string', default: '' },
  SLUICE_OIDC_AUDIENCE: { type: 'string', default: '' },
  SLUICE_OIDC_NAME: { type: 'string', default: OIDC_DEFAULTS.name },
  SLUICE_OIDC_TENANT_CLAIM: { type: 'string', default: '' },
  SLUICE_OIDC_TENANT: { type: 'string', default: '' },
  SLUICE_OIDC_TENANTS: { type: 'string', default: '' },
  SLUICE_OIDC_USER_CLAIM: { type: 'string', default: OIDC_DEFAULTS.userClaim },
  SLUICE_OIDC_ROLES_CLAIM: { type: 'string', default: OIDC_DEFAULTS.rolesClaim },
  SLUICE_OIDC_ROLE_MAP: { type: 'string', default: '' },
  SLUICE_OIDC_GROUPS_CLAIM: { type: 'string', default: OIDC_DEFAULTS.groupsClaim },
  SLUICE_OIDC_ALGORITHMS: { type: 'string', default: '' },
  SLUICE_OIDC_CLOCK_TOLERANCE_S: { type: 'integer', minimum: 0, maximum: 300, default: OIDC_DEFAULTS.clockToleranceSec },
  SLUICE_OIDC_ISSUERS_FILE: { type: 'string', default: '' },
  SLUICE_OIDC_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 60000, default: REMOTE_KEYS_DEFAULTS.timeoutMs },
  SLUICE_OIDC_JWKS_COOLDOWN_MS: { type: 'integer', minimum: 0, maximum: 3600000, default: REMOTE_KEYS_DEFAULTS.cooldownMs },
  SLUICE_OIDC_JWKS_MAX_AGE_MS: { type: 'integer', minimum: 10000, maximum: 86400000, default: REMOTE_KEYS_DEFAULTS.cacheMaxAgeMs },
} as const;

/** The fields of one `SLUICE_OIDC_ISSUERS_FILE` entry (the variables' names in camel case). */
const FILE_FIELDS = [
  'issuer',
  'audience',
  'name',
  'tenantClaim',
  'tenant',
  'tenants',
  'userClaim',
  'rolesClaim',
  'roleMap',
  'groupsClaim',
  'algorithms',
  'clockToleranceSec',
] as const;

const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** A claim name: printable, no spaces; dots walk into objects (`realm_access.roles`). */
const CLAIM = /^[A-Za-z0-9_:/.$#-]{1,128}$/;
const MAX_ISSUERS = 16;

function fail(where: string, rule: string): never {
  throw appError('SLUICE_ERR_CONFIG', [`${where} ${rule}`]);
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** One provider as written: strings from the environment, or a file entry's values. */
interface RawIssuer {
  issuer?: unknown;
  audience?: unknown;
  name?: unknown;
  tenantClaim?: unknown;
  tenant?: unknown;
  tenants?: unknown;
  userClaim?: unknown;
  rolesClaim?: unknown;
  roleMap?: unknown;
  groupsClaim?: unknown;
  algorithms?: unknown;
  clockToleranceSec?: unknown;
}

/** `idp-role=sluice-role,…` → a map; in a file, an object. */
function roleMapOf(raw: unknown, where: string): Record<string, Role> {
  if (raw === undefined || raw === '') return { ...OIDC_DEFAULTS.roleMap };
  const pairs: [string, unknown][] =
    typeof raw === 'string'
      ? list(raw).map((p) => {
          const i = p.lastIndexOf('=');
          if (i <= 0) fail(where, 'must be provider-role=sluice-role pairs separated by commas (sluice-admin=admin,agent=agent)');
          return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
        })
      : typeof raw === 'object' && raw !== null && !Array.isArray(raw)
        ? Object.entries(raw)
        : fail(where, 'must be an object {"provider-role": "sluice-role"}');
  const map: Record<string, Role> = Object.create(null);
  for (const [from, to] of pairs) {
    if (from.length === 0 || from.length > 256) fail(where, 'has a provider role of 0 or more than 256 characters');
    if (typeof to !== 'string' || !(ROLES as readonly string[]).includes(to))
      fail(where, `maps "${from}" to a role that is not one of ${ROLES.join(', ')}`);
    map[from] = to as Role;
  }
  if (Object.keys(map).length === 0) fail(where, 'maps no role');
  return map;
}

function strings(raw: unknown, where: string): string[] {
  if (typeof raw === 'string') return list(raw);
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw.map((x) => x.trim()).filter(Boolean);
  return fail(where, 'must be a list of strings');
}

function claim(raw: unknown, fallback: string, where: string): string {
  const v = raw === undefined || raw === '' ? fallback : raw;
  if (typeof v !== 'string' || !CLAIM.test(v)) fail(where, `must be a claim name matching ${CLAIM.source}`);
  return v;
}

/** Checks one provider; `at(field)` names where a field was written. */
function issuerOf(raw: RawIssuer, at: (field: keyof RawIssuer) => string, servedTenants: readonly string[]): IssuerSettings {
  let url: URL;
  try {
    url = new URL(String(raw.issuer));
  } catch {
    return fail(at('issuer'), 'must be the URL of the OpenID provider, as its tokens name it in "iss"');
  }
  if (!plainHttpAllowed(url) || url.search !== '' || url.hash !== '')
    fail(at('issuer'), 'must be an https URL without query or fragment (http only on localhost, 127.0.0.1 or [::1])');
  const issuer = String(raw.issuer);

  const audience = strings(raw.audience ?? '', at('audience'));
  if (audience.length === 0)
    fail(at('audience'), 'is required with an issuer: the audience (resource or client id) tokens for Sluice carry');

  const name = raw.name === undefined || raw.name === '' ? OIDC_DEFAULTS.name : raw.name;
  if (typeof name !== 'string' || !NAME.test(name)) fail(at('name'), `must match ${NAME.source}`);

  const algorithms =
    raw.algorithms === undefined || raw.algorithms === '' ? [...ASYMMETRIC_ALGORITHMS] : strings(raw.algorithms, at('algorithms'));
  const bad = algorithms.find((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if (bad !== undefined || algorithms.length === 0) {
    fail(
      at('algorithms'),
      `must list asymmetric signature algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')}); ${bad === undefined ? 'none given' : `"${bad}" is not one (none and HS* are never accepted)`}`,
    );
  }

  const tolerance = raw.clockToleranceSec ?? OIDC_DEFAULTS.clockToleranceSec;
  if (typeof tolerance !== 'number' || !Number.isInteger(tolerance) || tolerance < 0 || tolerance > 300)
    fail(at('clockToleranceSec'), 'must be an integer from 0 to 300 (seconds)');

  const tenants = raw.tenants === undefined || raw.tenants === '' ? [...servedTenants] : strings(raw.tenants, at('tenants'));
  if (tenants.length === 0 || !tenants.every((t) => isTenantName(t)))
    fail(
      at('tenants'),
      'must list the tenants tokens of this provider may act on (tenant names; the platform * is never one); unset, they are SLUICE_TENANTS, or the tenants of the API keys',
    );
  let tenant: IssuerSettings['tenant'];
  if (raw.tenant !== undefined && raw.tenant !== '') {
    if (raw.tenantClaim !== undefined && raw.tenantClaim !== '')
      fail(at('tenant'), `and ${at('tenantClaim')} exclude each other: a fixed tenant, or the claim naming it`);
    if (!isTenantName(raw.tenant) || !tenants.includes(raw.tenant)) fail(at('tenant'), `must be a tenant name among ${tenants.join(', ')}`);
    tenant = { fixed: raw.tenant };
  } else tenant = { claim: claim(raw.tenantClaim, OIDC_DEFAULTS.tenantClaim, at('tenantClaim')) };

  const groups = raw.groupsClaim;
  return {
    name,
    issuer,
    audience,
    algorithms,
    clockToleranceSec: tolerance,
    tenant,
    tenants,
    userClaim: claim(raw.userClaim, OIDC_DEFAULTS.userClaim, at('userClaim')),
    rolesClaim: claim(raw.rolesClaim, OIDC_DEFAULTS.rolesClaim, at('rolesClaim')),
    roleMap: roleMapOf(raw.roleMap, at('roleMap')),
    groupsClaim: groups === '-' || groups === null ? undefined : claim(groups, OIDC_DEFAULTS.groupsClaim, at('groupsClaim')),
  };
}

const ENV_NAMES: Record<keyof RawIssuer, string> = {
  issuer: 'SLUICE_OIDC_ISSUER',
  audience: 'SLUICE_OIDC_AUDIENCE',
  name: 'SLUICE_OIDC_NAME',
  tenantClaim: 'SLUICE_OIDC_TENANT_CLAIM',
  tenant: 'SLUICE_OIDC_TENANT',
  tenants: 'SLUICE_OIDC_TENANTS',
  userClaim: 'SLUICE_OIDC_USER_CLAIM',
  rolesClaim: 'SLUICE_OIDC_ROLES_CLAIM',
  roleMap: 'SLUICE_OIDC_ROLE_MAP',
  groupsClaim: 'SLUICE_OIDC_GROUPS_CLAIM',
  algorithms: 'SLUICE_OIDC_ALGORITHMS',
  clockToleranceSec: 'SLUICE_OIDC_CLOCK_TOLERANCE_S',
};

function fromFile(file: string, servedTenants: readonly string[]): IssuerSettings[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'not valid JSON';
    return fail(`SLUICE_OIDC_ISSUERS_FILE ${file}`, `cannot be read (${why})`);
  }
  if (!Array.isArray(parsed) || parsed.length > MAX_ISSUERS)
    fail(`SLUICE_OIDC_ISSUERS_FILE ${file}`, `must hold an array of at most ${MAX_ISSUERS} providers {issuer, audience, …}`);
  return parsed.map((entry, i) => {
    const where = `SLUICE_OIDC_ISSUERS_FILE ${file} entry ${i + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(where, 'must be an object {issuer, audience, …}');
    const unknown = Object.keys(entry).find((k) => !(FILE_FIELDS as readonly string[]).includes(k));
    if (unknown !== undefined) fail(where, `has an unknown field "${unknown}" (fields are ${FILE_FIELDS.join(', ')})`);
    return issuerOf(entry as RawIssuer, (f) => `${where} ${f}`, servedTenants);
  });
}

/**
 * The OpenID configuration from validated environment values (`r`, the `config.ts` schema's output).
 *
 * @param servedTenants the tenants a provider serves unless it lists its own (`SLUICE_TENANTS`, or the API keys' tenants)
 * @throws SluiceError `SLUICE_ERR_CONFIG` naming the variable or file entry and the rule
 */
export function oidcConfigOf(r: Readonly<Record<string, unknown>>, servedTenants: readonly string[]): OidcConfig {
  const issuers: IssuerSettings[] = [];
  const env = (k: keyof RawIssuer) => r[ENV_NAMES[k]];
  if (env('issuer') !== '') {
    issuers.push(
      issuerOf(
        {
          issuer: env('issuer'),
          audience: env('audience'),
          name: env('name'),
          tenantClaim: env('tenantClaim'),
          tenant: env('tenant'),
          tenants: env('tenants'),
          userClaim: env('userClaim'),
          rolesClaim: env('rolesClaim'),
          roleMap: env('roleMap'),
          groupsClaim: env('groupsClaim'),
          algorithms: env('algorithms'),
          clockToleranceSec: env('clockToleranceSec'),
        },
        (f) => ENV_NAMES[f],
        servedTenants,
      ),
    );
  } else {
    const stray = (Object.keys(ENV_NAMES) as (keyof RawIssuer)[]).find(
      (k) =>
        k !== 'issuer' &&
        r[ENV_NAMES[k]] !== '' &&
        r[ENV_NAMES[k]] !== (OIDC_ENV_SCHEMA as Record<string, { default: unknown }>)[ENV_NAMES[k]]?.default,
    );
    if (stray !== undefined) fail(ENV_NAMES[stray], 'is set but SLUICE_OIDC_ISSUER is not: set the issuer, or unset the provider settings');
  }
  const file = r.SLUICE_OIDC_ISSUERS_FILE;
  if (typeof file === 'string' && file !== '') issuers.push(...fromFile(file, servedTenants));
  const seen = new Map<string, string>();
  for (const s of issuers) {
    if (seen.has(`iss ${s.issuer}`))
      fail(`OpenID provider ${s.name}`, `repeats the issuer ${s.issuer} of provider ${seen.get(`iss ${s.issuer}`)}`);
    if (seen.has(`name ${s.name}`)) fail(`OpenID provider ${s.issuer}`, `repeats the name "${s.name}"; give each provider its own name`);
    seen.set(`iss ${s.issuer}`, s.name);
    seen.set(`name ${s.name}`, s.issuer);
  }
  return {
    issuers,
    keys: {
      timeoutMs: r.SLUICE_OIDC_TIMEOUT_MS as number,
      cooldownMs: r.SLUICE_OIDC_JWKS_COOLDOWN_MS as number,
      cacheMaxAgeMs: r.SLUICE_OIDC_JWKS_MAX_AGE_MS as number,
    },
  };
}
