import { readFileSync } from 'node:fs';
import { isTenantName, PLATFORM_TENANT, ROLES, type Principal, type Role } from '../core/access.js';
import { appError } from './errors.js';

/** One configured key, as written in `SLUICE_API_KEYS_FILE` (and what `SLUICE_API_KEYS` entries become). */
export interface ApiKeyEntry {
  readonly key: string;
  readonly tenant: string;
  readonly role: string;
  readonly user?: string;
  readonly groups?: readonly string[];
  readonly name?: string;
}

const FIELDS = ['key', 'tenant', 'role', 'user', 'groups', 'name'];
/** User and group ids: no `:` (the env separator), `+` (the group separator), `,` or spaces. */
const IDENT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MAX_GROUPS = 64;
const MIN_KEY = 16;

function fail(where: string, rule: string): never {
  throw appError('SLUICE_ERR_CONFIG', [`${where}: ${rule}`]);
}

/**
 * The `SLUICE_API_KEYS` entries: `key:tenant:role[:user[:group+group…]]`, comma-separated. A malformed
 * entry is named by its position, never by its text (which holds the key).
 */
function fromSpec(spec: string): ApiKeyEntry[] {
  const items = spec
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return items.map((item, i) => {
    const [key, tenant, role, user, groups, ...rest] = item.split(':');
    if (!key || !tenant || !role || rest.length > 0 || user === '' || groups === '') {
      fail(`SLUICE_API_KEYS entry ${i + 1}`, 'must be key:tenant:role, key:tenant:role:user or key:tenant:role:user:group+group');
    }
    return {
      key: key as string,
      tenant: tenant as string,
      role: role as string,
      ...(user !== undefined && { user }),
      ...(groups !== undefined && { groups: groups.split('+') }),
    };
  });
}

/** The entries of `SLUICE_API_KEYS_FILE`: a JSON array of {@link ApiKeyEntry}. */
function fromFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`SLUICE_API_KEYS_FILE ${file}`, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // JSON.parse messages may quote the text around the error, which holds keys: keep only the position.
    const at = /position \d+(?: \(line \d+ column \d+\))?/.exec((err as Error).message)?.[0];
    return fail(`SLUICE_API_KEYS_FILE ${file}`, `is not valid JSON${at ? ` (at ${at})` : ''}`);
  }
  if (!Array.isArray(parsed)) fail(`SLUICE_API_KEYS_FILE ${file}`, 'must hold an array of {key, tenant, role, user?, groups?, name?}');
  return parsed as unknown[];
}

/** Checks one entry; messages name the entry and the field, never a value (a misplaced field could be a key). */
function check(e: unknown, where: string): ApiKeyEntry {
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    return fail(where, 'must be an object {key, tenant, role, user?, groups?, name?}');
  const x = e as Record<string, unknown>;
  if (Object.keys(x).some((k) => !FIELDS.includes(k))) fail(where, `has an unknown field (fields are ${FIELDS.join(', ')})`);
  if (typeof x.key !== 'string' || x.key.length < MIN_KEY) fail(where, `key must be a string of at least ${MIN_KEY} characters`);
  if (x.tenant !== PLATFORM_TENANT && !isTenantName(x.tenant))
    fail(where, 'has an invalid tenant (lower-case letters, digits, _ and -, at most 63; or * for the platform)');
  if (typeof x.role !== 'string' || !(ROLES as readonly string[]).includes(x.role))
    fail(where, `has an invalid role; roles are ${ROLES.join(', ')}`);
  if (x.user !== undefined && (typeof x.user !== 'string' || !IDENT.test(x.user))) fail(where, `user must match ${IDENT.source}`);
  if (x.groups !== undefined) {
    if (x.user === undefined) fail(where, 'groups need a user: a key without a user acts as itself, with its role only');
    if (!Array.isArray(x.groups) || x.groups.length > MAX_GROUPS || !x.groups.every((g) => typeof g === 'string' && IDENT.test(g))) {
      fail(where, `groups must be a list of at most ${MAX_GROUPS} ids matching ${IDENT.source}`);
    }
  }
  if (x.name !== undefined && (typeof x.name !== 'string' || !NAME.test(x.name))) fail(where, `name must match ${NAME.source}`);
  if (x.name !== undefined && x.name === x.key) fail(where, 'name must not be the key itself (names are written to logs)');
  return x as unknown as ApiKeyEntry;
}

/**
 * Turns configured keys into principals, validating each entry. A key's label ({@link Principal.keyId})
 * is its `name`, or `key#<n>` by position (environment entries first, then the file's); labels and
 * keys must be unique.
 *
 * @throws SluiceError `SLUICE_ERR_CONFIG` naming the entry and the rule, never echoing a key
 */
export function principalsOf(entries: readonly { entry: unknown; where: string }[]): Map<string, Principal> {
  const keys = new Map<string, Principal>();
  const labels = new Map<string, string>();
  entries.forEach(({ entry, where }, i) => {
    const e = check(entry, where);
    const keyId = e.name ?? `key#${i + 1}`;
    if (keys.has(e.key)) fail(where, `repeats the key of ${labels.get(keys.get(e.key)?.keyId as string)}`);
    if (labels.has(keyId)) fail(where, `has the name "${keyId}" of ${labels.get(keyId)}; names must be unique`);
    labels.set(keyId, where);
    const groups = e.groups && [...new Set(e.groups)];
    keys.set(
      e.key,
      Object.freeze({
        tenant: e.tenant,
        role: e.role as Role,
        keyId,
        ...(e.user !== undefined && { user: e.user }),
        ...(groups && { groups: Object.freeze(groups) }),
      }),
    );
  });
  return keys;
}

/**
 * Parses API keys: `SLUICE_API_KEYS` entries `key:tenant:role[:user[:group+group…]]` separated by
 * commas, then `SLUICE_API_KEYS_FILE`, a JSON array of `{key, tenant, role, user?, groups?, name?}`.
 * Keys are at least 16 characters; tenant `*` is the platform.
 *
 * @example parseApiKeys('0123456789abcdef-ann:acme:agent:ann:billing-agents+billing-managers')
 * @throws SluiceError `SLUICE_ERR_CONFIG`
 */
export function parseApiKeys(spec: string, file?: string): Map<string, Principal> {
  const fromEnv = fromSpec(spec).map((entry, i) => ({ entry: entry as unknown, where: `SLUICE_API_KEYS entry ${i + 1}` }));
  const fromJson = file ? fromFile(file).map((entry, i) => ({ entry, where: `SLUICE_API_KEYS_FILE ${file} entry ${i + 1}` })) : [];
  return principalsOf([...fromEnv, ...fromJson]);
}
