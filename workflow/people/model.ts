import { workflowError } from '../errors.js';
import { DIRECTORY_ID_PATTERN, DIRECTORY_LIMITS as L } from './limits.js';
import type { ContactChannel } from './ports.js';

/** Channels a person can be reached on, in the order the API lists them. */
export const CONTACT_CHANNELS: readonly ContactChannel[] = Object.freeze(['email', 'sms', 'voice', 'wecom', 'webhook']);

export { DIRECTORY_ID_PATTERN };
const ID = new RegExp(DIRECTORY_ID_PATTERN);
/** Words a people ref gives a meaning of its own (`manager:creator`): no person may be called so. */
export const RESERVED_PERSON_IDS: readonly string[] = Object.freeze(['creator', 'decider']);

/** A person of a tenant's directory, as stored and returned. */
export interface DirectoryPerson {
  /** Stable id: the actor id the person acts as (`user:<id>` in flows). */
  readonly id: string;
  /** Sign-in name pushed by an identity provider (SCIM `userName`); unique in the tenant. */
  readonly userName?: string;
  /** The identity provider's own id for the person (SCIM `externalId`). */
  readonly externalId?: string;
  /** Display name. */
  readonly name?: string;
  /** Job title. */
  readonly title?: string;
  /** E-mail address (channel `email`). */
  readonly email?: string;
  /** E.164 phone number, `+` and up to 15 digits (channels `sms` and `voice`). */
  readonly phone?: string;
  /** WeChat Work (WeCom) user id (channel `wecom`). */
  readonly wecom?: string;
  /** HTTPS (or HTTP) URL alerts are posted to (channel `webhook`). */
  readonly webhook?: string;
  /** BCP 47 language tag for alert templates (`en`, `zh-CN`). */
  readonly language?: string;
  /** Channels in the person's order of preference (reminders go to the first one they have an address for). */
  readonly preferred?: readonly ContactChannel[];
  /** Group ids (each must exist). */
  readonly groups?: readonly string[];
  /** Organisation id (must exist). */
  readonly organisation?: string;
  /** Person id of an explicit manager; without one, the head of the organisation is the manager. */
  readonly manager?: string;
  /** Skills held (`skill-match`). */
  readonly skills?: readonly string[];
  /** Attributes (`site: lyon`, `level: senior`), matched by `skill-match` specs with `attributes`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Most open todos the person takes (overrides a flow's capacity). */
  readonly capacity?: number;
  /** False while away or gone: never assigned, never alerted (default true). */
  readonly active?: boolean;
}

/** A group of persons (`group:<id>` in flows). Members are the persons listing the group. */
export interface DirectoryGroup {
  readonly id: string;
  /** Display name (SCIM `displayName`); unique in the tenant. */
  readonly name?: string;
  /** The identity provider's own id for the group. */
  readonly externalId?: string;
}

/** An organisation (department, team, site, BPO partner): one node of the tenant's tree. */
export interface DirectoryOrg {
  readonly id: string;
  readonly name?: string;
  /** Parent organisation id (absent at a root). */
  readonly parent?: string;
  /** Person id of the organisation's head (manager of its members, department head). */
  readonly head?: string;
}

/** One page of a directory list, ordered by id. */
export interface DirectoryPage<T> {
  readonly items: readonly T[];
  /** Pass to the next call; absent on the last page. */
  readonly nextCursor?: string;
  /** Everything matching, over all pages. */
  readonly total: number;
}

/** What a list call selects. */
export interface DirectoryListOptions {
  readonly cursor?: string;
  /** Page size, 1..500 (default 50). */
  readonly limit?: number;
}

/** Directory entity kinds. */
export type DirectoryKind = 'person' | 'group' | 'org';

/** Entity kind as named in messages and SCIM. */
export const KIND_NAMES: Readonly<Record<DirectoryKind, string>> = { person: 'person', group: 'group', org: 'organisation' };

function invalid(field: string, rule: string): never {
  throw workflowError('SLUICE_ERR_VALIDATION', `${field} ${rule}`, { details: { field } });
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const BAD_TEXT = /[\p{Cc}\p{Cs}]/u;

function text(x: unknown, field: string, max: number): string {
  if (typeof x !== 'string' || x.length === 0) invalid(field, 'must be a non-empty string');
  if (BAD_TEXT.test(x)) invalid(field, 'must be text: no control characters or lone surrogates');
  if (x.length > max) invalid(field, `must be at most ${max} characters`);
  return x;
}

/** Checks a directory id. @throws SluiceError `SLUICE_ERR_VALIDATION` naming `field` */
export function checkId(x: unknown, field: string): string {
  if (typeof x !== 'string' || !ID.test(x))
    invalid(field, `must be an id of 1 to ${L.maxIdLength} letters, digits, '.', '_', '@' or '-', starting with a letter or digit`);
  return x;
}

function ids(x: unknown, field: string, max: number): string[] {
  if (!Array.isArray(x)) invalid(field, 'must be a list of ids');
  if (x.length > max) invalid(field, `must list at most ${max} ids`);
  const out = x.map((v, i) => checkId(v, `${field}[${i}]`));
  return [...new Set(out)];
}

function optional<T>(o: Record<string, unknown>, key: string, check: (x: unknown, field: string) => T, prefix: string): T | undefined {
  return o[key] === undefined ? undefined : check(o[key], `${prefix}.${key}`);
}

function only(o: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) invalid(`${prefix}.${k}`, `is not a field (fields: ${allowed.join(', ')})`);
}

const PERSON_FIELDS = [
  'id',
  'userName',
  'externalId',
  'name',
  'title',
  'email',
  'phone',
  'wecom',
  'webhook',
  'language',
  'preferred',
  'groups',
  'organisation',
  'manager',
  'skills',
  'attributes',
  'capacity',
  'active',
] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9][0-9]{1,14}$/;
const WECOM = /^[A-Za-z0-9._@-]{1,64}$/;
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;

function url(x: unknown, field: string): string {
  const s = text(x, field, L.maxUrlLength);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return invalid(field, 'must be an absolute http(s) URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') invalid(field, 'must be an absolute http(s) URL');
  if (u.username || u.password) invalid(field, 'must not carry a user or password (sign the webhook instead)');
  return s;
}

/**
 * Checks a person as a write carries it and returns the normalised record (duplicates removed,
 * `active` kept only when false). Everything is checked here, so each store and each door (the
 * API, SCIM, a seed) refuses the same input with the same message.
 *
 * @param prefix where the person sits in the request (`body`), named in errors
 * @throws SluiceError `SLUICE_ERR_VALIDATION` naming the field and the rule
 */
export function checkPerson(x: unknown, prefix = 'body'): DirectoryPerson {
  if (!isRecord(x)) invalid(prefix, 'must be an object');
  only(x, PERSON_FIELDS, prefix);
  const id = checkId(x.id, `${prefix}.id`);
  if (RESERVED_PERSON_IDS.includes(id)) invalid(`${prefix}.id`, `must not be "${id}" (a word people refs reserve)`);
  const name = (k: string) => optional(x, k, (v, f) => text(v, f, L.maxNameLength), prefix);
  const email = optional(
    x,
    'email',
    (v, f) => {
      const s = text(v, f, L.maxEmailLength);
      if (!EMAIL.test(s)) invalid(f, 'must be an e-mail address (name@domain)');
      return s;
    },
    prefix,
  );
  const phone = optional(
    x,
    'phone',
    (v, f) => {
      if (typeof v !== 'string' || !E164.test(v)) invalid(f, 'must be an E.164 phone number: + then 2 to 15 digits, e.g. +4930123456');
      return v;
    },
    prefix,
  );
  const wecom = optional(
    x,
    'wecom',
    (v, f) => {
      if (typeof v !== 'string' || !WECOM.test(v))
        invalid(f, "must be a WeChat Work user id: 1 to 64 letters, digits, '.', '_', '@' or '-'");
      return v;
    },
    prefix,
  );
  const language = optional(
    x,
    'language',
    (v, f) => {
      if (typeof v !== 'string' || !LANGUAGE.test(v)) invalid(f, 'must be a BCP 47 language tag such as en or zh-CN');
      return v;
    },
    prefix,
  );
  const preferred = optional(
    x,
    'preferred',
    (v, f) => {
      if (!Array.isArray(v) || v.length > CONTACT_CHANNELS.length)
        invalid(f, `must be a list of channels (${CONTACT_CHANNELS.join(', ')})`);
      v.forEach((c, i) => {
        if (!CONTACT_CHANNELS.includes(c as ContactChannel)) invalid(`${f}[${i}]`, `must be one of ${CONTACT_CHANNELS.join(', ')}`);
      });
      return [...new Set(v as ContactChannel[])];
    },
    prefix,
  );
  const skills = optional(
    x,
    'skills',
    (v, f) => {
      if (!Array.isArray(v) || v.length > L.maxSkills) invalid(f, `must be a list of at most ${L.maxSkills} skills`);
      return [...new Set(v.map((s, i) => text(s, `${f}[${i}]`, L.maxKeyLength)))];
    },
    prefix,
  );
  const attributes = optional(
    x,
    'attributes',
    (v, f) => {
      if (!isRecord(v)) invalid(f, 'must be an object of text values');
      const entries = Object.entries(v);
      if (entries.length > L.maxAttributes) invalid(f, `must hold at most ${L.maxAttributes} attributes`);
      const out: Record<string, string> = {};
      for (const [k, val] of entries) {
        text(k, `${f} key`, L.maxKeyLength);
        out[k] = text(val, `${f}.${k}`, L.maxNameLength);
      }
      return out;
    },
    prefix,
  );
  const capacity = optional(
    x,
    'capacity',
    (v, f) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > L.maxCapacity)
        invalid(f, `must be an integer from 0 to ${L.maxCapacity}`);
      return v;
    },
    prefix,
  );
  const active = optional(
    x,
    'active',
    (v, f) => {
      if (typeof v !== 'boolean') invalid(f, 'must be true or false');
      return v;
    },
    prefix,
  );
  const manager = optional(x, 'manager', checkId, prefix);
  if (manager === id) invalid(`${prefix}.manager`, 'must name someone else (a person is not their own manager)');
  const person: DirectoryPerson = {
    id,
    ...opt('userName', name('userName')),
    ...opt('externalId', name('externalId')),
    ...opt('name', name('name')),
    ...opt('title', name('title')),
    ...opt('email', email),
    ...opt('phone', phone),
    ...opt('wecom', wecom),
    ...opt('webhook', optional(x, 'webhook', url, prefix)),
    ...opt('language', language),
    ...opt('preferred', preferred),
    ...opt(
      'groups',
      optional(x, 'groups', (v, f) => ids(v, f, L.maxGroupsPerPerson), prefix),
    ),
    ...opt('organisation', optional(x, 'organisation', checkId, prefix)),
    ...opt('manager', manager),
    ...opt('skills', skills),
    ...opt('attributes', attributes),
    ...opt('capacity', capacity),
    ...(active === false && { active: false }),
  };
  return person;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Checks a group as a write carries it.
 *
 * @throws SluiceError `SLUICE_ERR_VALIDATION` naming the field
 */
export function checkGroup(x: unknown, prefix = 'body'): DirectoryGroup {
  if (!isRecord(x)) invalid(prefix, 'must be an object');
  only(x, ['id', 'name', 'externalId'], prefix);
  return {
    id: checkId(x.id, `${prefix}.id`),
    ...opt(
      'name',
      optional(x, 'name', (v, f) => text(v, f, L.maxNameLength), prefix),
    ),
    ...opt(
      'externalId',
      optional(x, 'externalId', (v, f) => text(v, f, L.maxNameLength), prefix),
    ),
  };
}

/**
 * Checks an organisation as a write carries it (its parent and head are checked against the store).
 *
 * @throws SluiceError `SLUICE_ERR_VALIDATION` naming the field
 */
export function checkOrg(x: unknown, prefix = 'body'): DirectoryOrg {
  if (!isRecord(x)) invalid(prefix, 'must be an object');
  only(x, ['id', 'name', 'parent', 'head'], prefix);
  const id = checkId(x.id, `${prefix}.id`);
  const parent = optional(x, 'parent', checkId, prefix);
  if (parent === id) invalid(`${prefix}.parent`, 'must name another organisation (an organisation is not its own parent)');
  return {
    id,
    ...opt(
      'name',
      optional(x, 'name', (v, f) => text(v, f, L.maxNameLength), prefix),
    ),
    ...opt('parent', parent),
    ...opt('head', optional(x, 'head', checkId, prefix)),
  };
}

/** Page size of a list call: 1..500, default 50. */
export function pageSize(limit: number | undefined): number {
  return Math.min(L.maxPageSize, Math.max(1, Math.floor(limit ?? 50)));
}

/** Encodes a list position (the last id), bound to the tenant and the list so it cannot be replayed elsewhere. */
export function encodeDirectoryCursor(tenant: string, list: string, lastId: string): string {
  return Buffer.from(JSON.stringify([tenant, list, lastId])).toString('base64url');
}

/**
 * Decodes a cursor of {@link encodeDirectoryCursor}.
 *
 * @throws SluiceError `SLUICE_ERR_CURSOR_INVALID`
 */
export function decodeDirectoryCursor(tenant: string, list: string, cursor: string): string {
  try {
    const [t, l, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    if (t === tenant && l === list && typeof id === 'string' && ID.test(id)) return id;
  } catch {
    // fall through
  }
  throw workflowError(
    'SLUICE_ERR_CURSOR_INVALID',
    `cursor "${cursor.slice(0, 40)}" is not a cursor of this ${list} list of tenant "${tenant}"`,
  );
}

/** The not-found error of one entity. */
export function notFound(kind: DirectoryKind, tenant: string, id: string): Error {
  return workflowError('SLUICE_ERR_DIRECTORY_NOT_FOUND', `no ${KIND_NAMES[kind]} "${id}" in tenant "${tenant}"`);
}

/** A write naming an entity that does not exist: a 400 naming the field. */
export function missingRef(kind: DirectoryKind, id: string, field: string): Error {
  return workflowError('SLUICE_ERR_VALIDATION', `${field} names ${KIND_NAMES[kind]} "${id}", which does not exist`, { details: { field } });
}

/** The tenant is full for one kind. */
export function full(kind: DirectoryKind, tenant: string, max: number): Error {
  return workflowError('SLUICE_ERR_DIRECTORY_FULL', `tenant "${tenant}" already holds ${max} ${KIND_NAMES[kind]}s, the most allowed`);
}
