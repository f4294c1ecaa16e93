/**
 * SCIM 2.0 (RFC 7643, 7644): the subset identity providers (Microsoft Entra ID, Okta) push to keep
 * an application's users and groups in step — `/scim/v2/Users` and `/scim/v2/Groups` with POST,
 * GET by id, GET with `filter=userName eq "…"` (`displayName eq "…"` for groups), PUT, PATCH and
 * DELETE, over the same people directory as `/v1/people`. The bearer token is an admin API key
 * of the tenant. Errors are SCIM error bodies (`urn:ietf:params:scim:api:messages:2.0:Error`).
 *
 * Mapping: `userName` is the person id (so it must be an id: letters, digits, `.`, `_`, `@`, `-`);
 * `displayName` (else `name.formatted`, else given and family name) the name; the primary (else
 * first) e-mail; the first phone number that is E.164 once spaces, dashes, dots and parentheses
 * are removed; `preferredLanguage`; `active`; the enterprise extension's `manager.value` the
 * manager and `department` the organisation (id: the department in lower case, other characters
 * turned to `-`; created when missing). Group ids are made the same way from `displayName`.
 * Attributes Sluice does not keep (addresses, employeeNumber, …) are accepted and not stored.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '../../core/http.js';
import { isSluiceError } from '../../core/errors.js';
import type { Directory } from '../people/directory.js';
import { DIRECTORY_LIMITS as L } from '../people/limits.js';
import { DIRECTORY_ID_PATTERN, type DirectoryGroup, type DirectoryPerson } from '../people/model.js';
import { tenantOf } from './access.js';
import { tenantQuery } from './schemas.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const MEDIA = 'application/scim+json';
const ID = new RegExp(DIRECTORY_ID_PATTERN);
const MAX_OPERATIONS = 1_000;

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A SCIM protocol error: HTTP status, `scimType`, detail. */
class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

const bad = (scimType: string, detail: string): ScimError => new ScimError(400, scimType, detail);

function errorBody(status: number, detail: string, scimType?: string): Json {
  return { schemas: [ERROR], status: String(status), ...(scimType && { scimType }), detail };
}

/** The SCIM answer for any error thrown by a route, a hook (auth) or validation. */
function scimError(err: unknown): { status: number; body: Json } {
  if (err instanceof ScimError) return { status: err.status, body: errorBody(err.status, err.message, err.scimType) };
  if (isSluiceError(err) && err.status !== undefined) {
    const scimType =
      err.code === 'SLUICE_ERR_VALIDATION'
        ? 'invalidValue'
        : err.code === 'SLUICE_ERR_DIRECTORY_CONFLICT'
          ? 'uniqueness'
          : err.code === 'SLUICE_ERR_CURSOR_INVALID'
            ? 'invalidValue'
            : undefined;
    return { status: err.status, body: errorBody(err.status, err.message, scimType) };
  }
  const f = err as FastifyError & { validation?: unknown[] };
  if (f.validation) return { status: 400, body: errorBody(400, `request ${f.message}`, 'invalidValue') };
  if (f.statusCode !== undefined && f.statusCode >= 400 && f.statusCode < 500)
    return { status: f.statusCode, body: errorBody(f.statusCode, f.message, f.statusCode === 400 ? 'invalidSyntax' : undefined) };
  return { status: 500, body: errorBody(500, 'internal error') };
}

/** A directory id made from a display name: lower case, other characters `-`, at most 100. */
export function scimSlug(name: string): string {
  const s = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9._@-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, L.maxIdLength);
  if (!ID.test(s)) throw bad('invalidValue', `"${name.slice(0, 100)}" gives no id: it needs a letter or digit`);
  return s;
}

function str(x: unknown, what: string): string {
  if (typeof x !== 'string') throw bad('invalidValue', `${what} must be a string`);
  return x;
}

function bool(x: unknown, what: string): boolean {
  if (typeof x === 'boolean') return x;
  // Entra ID sends "True"/"False" in PATCH values.
  if (typeof x === 'string' && /^(true|false)$/i.test(x)) return x.toLowerCase() === 'true';
  throw bad('invalidValue', `${what} must be a boolean`);
}

function e164(raw: unknown, what: string): string {
  const s = str(raw, what).replace(/[\s().-]/g, '');
  if (!/^\+[1-9][0-9]{1,14}$/.test(s)) throw bad('invalidValue', `${what} must be an E.164 phone number such as +4930123456`);
  return s;
}

/** The SCIM User attributes Sluice keeps, as a partial person. */
interface UserFields {
  userName?: string;
  externalId?: string | null;
  name?: string | null;
  title?: string | null;
  email?: string | null;
  phone?: string | null;
  language?: string | null;
  active?: boolean;
  manager?: string | null;
  department?: string | null;
}

function nameOf(u: Json): string | undefined {
  if (typeof u.displayName === 'string' && u.displayName !== '') return u.displayName;
  const n = u.name;
  if (isObject(n)) {
    if (typeof n.formatted === 'string' && n.formatted !== '') return n.formatted;
    const parts = [n.givenName, n.familyName].filter((p): p is string => typeof p === 'string' && p !== '');
    if (parts.length > 0) return parts.join(' ');
  }
  return undefined;
}

function emailOf(list: unknown): string | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw bad('invalidValue', 'emails must be a list');
  const primary = list.find((e) => isObject(e) && e.primary === true) ?? list[0];
  return isObject(primary) && primary.value !== undefined ? str(primary.value, 'emails.value') : undefined;
}

function phoneOf(list: unknown): string | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw bad('invalidValue', 'phoneNumbers must be a list');
  const usable = list.filter((p) => isObject(p) && p.type !== 'fax' && p.value !== undefined && p.value !== '');
  if (usable.length === 0) return undefined;
  const primary = usable.find((p) => (p as Json).primary === true) ?? usable[0];
  return e164((primary as Json).value, 'phoneNumbers.value');
}

function managerOf(x: unknown): string | null {
  const v = isObject(x) ? x.value : x;
  if (v === undefined || v === null || v === '') return null;
  return str(v, `${ENTERPRISE}:manager.value`);
}

/** What a full User resource (POST, PUT) says. */
function userFields(body: unknown): UserFields {
  if (!isObject(body)) throw bad('invalidSyntax', 'the body must be a JSON object');
  const ext = body[ENTERPRISE];
  const out: UserFields = {
    userName: str(body.userName, 'userName'),
    externalId: body.externalId === undefined ? null : str(body.externalId, 'externalId'),
    name: nameOf(body) ?? null,
    title: body.title === undefined ? null : str(body.title, 'title'),
    email: emailOf(body.emails) ?? null,
    phone: phoneOf(body.phoneNumbers) ?? null,
    language: body.preferredLanguage === undefined ? null : str(body.preferredLanguage, 'preferredLanguage'),
    active: body.active === undefined ? true : bool(body.active, 'active'),
  };
  if (ext !== undefined) {
    if (!isObject(ext)) throw bad('invalidValue', `${ENTERPRISE} must be an object`);
    out.manager = managerOf(ext.manager);
    out.department = ext.department === undefined || ext.department === '' ? null : str(ext.department, 'department');
  }
  return out;
}

/** Applies one PATCH operation on a User to the fields it changes. */
function patchUser(fields: UserFields, op: string, path: string | undefined, value: unknown): void {
  const remove = op === 'remove';
  const set = (key: keyof UserFields, v: () => unknown) => {
    (fields as Json)[key] = remove ? null : v();
  };
  if (path === undefined) {
    if (remove) throw bad('noTarget', 'remove needs a path');
    if (!isObject(value)) throw bad('invalidValue', `${op} without a path needs an object value`);
    for (const [k, v] of Object.entries(value)) {
      if (k === ENTERPRISE && isObject(v)) for (const [ek, ev] of Object.entries(v)) patchUser(fields, op, `${ENTERPRISE}:${ek}`, ev);
      else patchUser(fields, op, k, v);
    }
    return;
  }
  const p = path.trim();
  const lower = p.toLowerCase();
  if (lower === 'active') {
    if (remove) throw bad('mutability', 'active cannot be removed');
    fields.active = bool(value, 'active');
  } else if (lower === 'username') {
    if (remove) throw bad('mutability', 'userName cannot be removed');
    fields.userName = str(value, 'userName');
  } else if (lower === 'displayname' || lower === 'name.formatted') set('name', () => str(value, p));
  else if (lower === 'name' && isObject(value)) set('name', () => nameOf({ name: value }) ?? null);
  else if (lower === 'externalid') set('externalId', () => str(value, p));
  else if (lower === 'title') set('title', () => str(value, p));
  else if (lower === 'preferredlanguage') set('language', () => str(value, p));
  else if (lower === 'emails') set('email', () => emailOf(value) ?? null);
  else if (/^emails\[.*\]\.value$/.test(lower)) set('email', () => str(value, p));
  else if (lower === 'phonenumbers') set('phone', () => phoneOf(value) ?? null);
  else if (/^phonenumbers\[type eq "(work|mobile)"\]\.value$/.test(lower)) set('phone', () => e164(value, p));
  else if (lower === `${ENTERPRISE}:manager`.toLowerCase() || lower === `${ENTERPRISE}:manager.value`.toLowerCase())
    set('manager', () => managerOf(value));
  else if (lower === `${ENTERPRISE}:department`.toLowerCase()) set('department', () => (value === '' ? null : str(value, p)));
  else if (lower === 'groups' || lower.startsWith('groups[')) throw bad('mutability', 'groups of a user are changed through /Groups');
  // Other attributes (addresses, name.givenName, employeeNumber, …) are not kept.
}

/** Operations of a PATCH body. */
function operations(body: unknown): { op: string; path?: string; value?: unknown }[] {
  if (!isObject(body) || !Array.isArray(body.Operations))
    throw bad('invalidSyntax', `a PATCH body is {"schemas": ["${PATCH}"], "Operations": [...]}`);
  if (body.Operations.length > MAX_OPERATIONS) throw bad('tooMany', `at most ${MAX_OPERATIONS} operations in one PATCH`);
  return body.Operations.map((o, i) => {
    if (!isObject(o) || typeof o.op !== 'string') throw bad('invalidSyntax', `Operations[${i}] needs an op`);
    const op = o.op.toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw bad('invalidSyntax', `Operations[${i}].op must be add, replace or remove`);
    if (o.path !== undefined && typeof o.path !== 'string') throw bad('invalidPath', `Operations[${i}].path must be a string`);
    return { op, ...(o.path !== undefined && { path: o.path as string }), ...(o.value !== undefined && { value: o.value }) };
  });
}

/** `attr eq "value"`: the one filter form identity providers send. */
function eqFilter(filter: string, attribute: string): string {
  const m = /^\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m || (m[1] as string).toLowerCase() !== attribute.toLowerCase())
    throw bad('invalidFilter', `only ${attribute} eq "…" is supported as a filter here`);
  return (m[2] as string).replace(/\\(.)/g, '$1');
}

/**
 * The SCIM routes as one fastify plugin, with their own error answers and media type.
 *
 * @example await app.register(scimRoutes, { directory });
 */
export async function scimRoutes(app: FastifyInstance, opts: { readonly directory: Directory }): Promise<void> {
  const dir = opts.directory;
  app.addContentTypeParser(MEDIA, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = scimError(err);
    if (status >= 500) req.log.error({ err }, 'SCIM request failed');
    else req.log.info({ status, reason: body.detail }, 'SCIM request refused');
    void reply.status(status).type(MEDIA).send(body);
  });
  const access = { roles: ['admin' as const], action: 'provision users and groups (SCIM)' };
  const query = { type: 'object', properties: { tenant: tenantQuery }, additionalProperties: true } as const;
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
  const tenant = (req: FastifyRequest) => tenantOf(req.principal, (req.query as { tenant?: string }).tenant);
  const send = (reply: FastifyReply, status: number, body: unknown) => reply.status(status).type(MEDIA).send(body);
  /** The person or group a `/:id` route names, or a SCIM 404. */
  const userOr404 = async (t: string, id: string) => {
    const p = await dir.getPerson(t, id);
    if (!p) throw notFound('User', id);
    return p;
  };
  const groupOr404 = async (t: string, id: string) => {
    const g = await dir.getGroup(t, id);
    if (!g) throw notFound('Group', id);
    return g;
  };
  const notFound = (what: string, id: string) => new ScimError(404, undefined, `${what} ${id.slice(0, 100)} not found`);

  async function userResource(t: string, p: DirectoryPerson): Promise<Json> {
    const org = p.organisation === undefined ? undefined : await dir.getOrg(t, p.organisation);
    return {
      schemas: [USER, ENTERPRISE],
      id: p.id,
      userName: p.userName ?? p.id,
      ...(p.externalId !== undefined && { externalId: p.externalId }),
      ...(p.name !== undefined && { displayName: p.name, name: { formatted: p.name } }),
      ...(p.title !== undefined && { title: p.title }),
      active: p.active !== false,
      ...(p.email !== undefined && { emails: [{ value: p.email, type: 'work', primary: true }] }),
      ...(p.phone !== undefined && { phoneNumbers: [{ value: p.phone, type: 'work' }] }),
      ...(p.language !== undefined && { preferredLanguage: p.language }),
      groups: (p.groups ?? []).map((g) => ({ value: g, $ref: `/scim/v2/Groups/${g}` })),
      [ENTERPRISE]: {
        ...(p.organisation !== undefined && { department: org?.name ?? p.organisation }),
        ...(p.manager !== undefined && { manager: { value: p.manager, $ref: `/scim/v2/Users/${p.manager}` } }),
      },
      meta: { resourceType: 'User', location: `/scim/v2/Users/${p.id}` },
    };
  }

  async function groupResource(t: string, g: DirectoryGroup, members: boolean): Promise<Json> {
    const ids: string[] = [];
    if (members) {
      let cursor: string | undefined;
      do {
        const page = await dir.listPersons(t, { group: g.id, limit: L.maxPageSize, ...(cursor && { cursor }) });
        ids.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    return {
      schemas: [GROUP],
      id: g.id,
      displayName: g.name ?? g.id,
      ...(g.externalId !== undefined && { externalId: g.externalId }),
      ...(members && { members: ids.map((value) => ({ value, $ref: `/scim/v2/Users/${value}` })) }),
      meta: { resourceType: 'Group', location: `/scim/v2/Groups/${g.id}` },
    };
  }

  /** Writes a person from SCIM fields over what is stored (fields SCIM does not carry are kept). */
  async function storeUser(
    t: string,
    id: string,
    f: UserFields,
    mode: 'create' | 'replace',
    before?: DirectoryPerson,
  ): Promise<DirectoryPerson> {
    let organisation = before?.organisation;
    if (f.department !== undefined) {
      organisation = undefined;
      if (f.department !== null) {
        organisation = scimSlug(f.department);
        if (!(await dir.getOrg(t, organisation))) {
          try {
            await dir.putOrg(t, { id: organisation, name: f.department.slice(0, L.maxNameLength) }, 'create');
          } catch (err) {
            if (!isSluiceError(err, 'SLUICE_ERR_DIRECTORY_CONFLICT')) throw err;
          }
        }
      }
    }
    const keep = (k: keyof UserFields, current: unknown) => (f[k] === undefined ? current : (f[k] ?? undefined));
    const entries: [string, unknown][] = [
      ['id', id],
      ['userName', f.userName ?? before?.userName ?? id],
      ['externalId', keep('externalId', before?.externalId)],
      ['name', keep('name', before?.name)],
      ['title', keep('title', before?.title)],
      ['email', keep('email', before?.email)],
      ['phone', keep('phone', before?.phone)],
      ['language', keep('language', before?.language)],
      ['manager', keep('manager', before?.manager)],
      ['organisation', organisation],
      ['wecom', before?.wecom],
      ['webhook', before?.webhook],
      ['preferred', before?.preferred],
      ['groups', before?.groups],
      ['skills', before?.skills],
      ['attributes', before?.attributes],
      ['capacity', before?.capacity],
      ['active', (f.active ?? before?.active !== false) ? undefined : false],
    ];
    const person = Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    return (await dir.putPerson(t, person, mode)).person;
  }

  const userPath = '/scim/v2/Users';
  app.post(userPath, { config: { access }, schema: { hide: true, querystring: query } }, async (req, reply) => {
    const t = tenant(req);
    const f = userFields(req.body);
    const id = f.userName as string;
    if (!ID.test(id))
      throw bad(
        'invalidValue',
        `userName "${id.slice(0, 100)}" must be a person id: 1 to ${L.maxIdLength} letters, digits, '.', '_', '@' or '-'`,
      );
    if (await dir.personByUserName(t, id)) throw new ScimError(409, 'uniqueness', `userName ${id} is taken`);
    const p = await storeUser(t, id, f, 'create');
    return send(reply, 201, await userResource(t, p));
  });

  app.get<{ Querystring: { filter?: string; startIndex?: string; count?: string } }>(
    userPath,
    { config: { access }, schema: { hide: true, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      if (req.query.filter !== undefined) {
        const p = await dir.personByUserName(t, eqFilter(String(req.query.filter), 'userName'));
        const items = p ? [await userResource(t, p)] : [];
        return send(reply, 200, {
          schemas: [LIST],
          totalResults: items.length,
          startIndex: 1,
          itemsPerPage: items.length,
          Resources: items,
        });
      }
      const start = Math.max(1, Number.parseInt(String(req.query.startIndex ?? '1'), 10) || 1);
      const count = Math.min(L.maxPageSize, Math.max(0, Number.parseInt(String(req.query.count ?? '100'), 10) || 0));
      const items: Json[] = [];
      let skipped = 0;
      let cursor: string | undefined;
      let total = 0;
      do {
        const page = await dir.listPersons(t, { limit: L.maxPageSize, ...(cursor && { cursor }) });
        total = page.total;
        for (const p of page.items) {
          if (++skipped < start) continue;
          if (items.length < count) items.push(await userResource(t, p));
        }
        cursor = items.length < count ? page.nextCursor : undefined;
      } while (cursor !== undefined);
      return send(reply, 200, { schemas: [LIST], totalResults: total, startIndex: start, itemsPerPage: items.length, Resources: items });
    },
  );

  app.get<{ Params: { id: string } }>(
    `${userPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      const p = await userOr404(t, req.params.id);
      return send(reply, 200, await userResource(t, p));
    },
  );

  app.put<{ Params: { id: string } }>(
    `${userPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      const before = await userOr404(t, req.params.id);
      const p = await storeUser(t, req.params.id, userFields(req.body), 'replace', before);
      return send(reply, 200, await userResource(t, p));
    },
  );

  app.patch<{ Params: { id: string } }>(
    `${userPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      const before = await userOr404(t, req.params.id);
      const f: UserFields = {};
      for (const o of operations(req.body)) patchUser(f, o.op, o.path, o.value);
      const p = await storeUser(t, req.params.id, f, 'replace', before);
      return send(reply, 200, await userResource(t, p));
    },
  );

  app.delete<{ Params: { id: string } }>(
    `${userPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      await userOr404(t, req.params.id);
      await dir.deletePerson(t, req.params.id);
      return reply.status(204).send();
    },
  );

  const groupPath = '/scim/v2/Groups';
  const memberIds = (x: unknown, what: string): string[] => {
    if (x === undefined || x === null) return [];
    if (!Array.isArray(x)) throw bad('invalidValue', `${what} must be a list of {"value": "<user id>"}`);
    if (x.length > L.maxMembersPerWrite) throw bad('tooMany', `${what}: at most ${L.maxMembersPerWrite} members in one write`);
    return x.map((m, i) => str(isObject(m) ? m.value : undefined, `${what}[${i}].value`));
  };
  const wantsMembers = (req: FastifyRequest) =>
    !String((req.query as { excludedAttributes?: string }).excludedAttributes ?? '')
      .toLowerCase()
      .split(',')
      .includes('members');

  app.post(groupPath, { config: { access }, schema: { hide: true, querystring: query } }, async (req, reply) => {
    const t = tenant(req);
    if (!isObject(req.body)) throw bad('invalidSyntax', 'the body must be a JSON object');
    const name = str(req.body.displayName, 'displayName');
    const id = scimSlug(name);
    const members = memberIds(req.body.members, 'members');
    const { group } = await dir.putGroup(
      t,
      { id, name, ...(req.body.externalId !== undefined && { externalId: str(req.body.externalId, 'externalId') }) },
      'create',
    );
    if (members.length > 0) await dir.changeMembers(t, id, { add: members, replace: true });
    return send(reply, 201, await groupResource(t, group, true));
  });

  app.get<{ Querystring: { filter?: string } }>(
    groupPath,
    { config: { access }, schema: { hide: true, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      let groups: DirectoryGroup[];
      if (req.query.filter !== undefined) {
        const g = await dir.groupByName(t, eqFilter(String(req.query.filter), 'displayName'));
        groups = g ? [g] : [];
      } else {
        groups = [...(await dir.listGroups(t, { limit: L.maxPageSize })).items];
      }
      const items = await Promise.all(groups.map((g) => groupResource(t, g, wantsMembers(req))));
      return send(reply, 200, { schemas: [LIST], totalResults: items.length, startIndex: 1, itemsPerPage: items.length, Resources: items });
    },
  );

  app.get<{ Params: { id: string } }>(
    `${groupPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      const g = await groupOr404(t, req.params.id);
      return send(reply, 200, await groupResource(t, g, wantsMembers(req)));
    },
  );

  app.put<{ Params: { id: string } }>(
    `${groupPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      const before = await groupOr404(t, req.params.id);
      if (!isObject(req.body)) throw bad('invalidSyntax', 'the body must be a JSON object');
      const name = req.body.displayName === undefined ? before.name : str(req.body.displayName, 'displayName');
      const externalId = req.body.externalId === undefined ? undefined : str(req.body.externalId, 'externalId');
      const members = memberIds(req.body.members, 'members');
      const { group } = await dir.putGroup(
        t,
        { id: before.id, ...(name !== undefined && { name }), ...(externalId !== undefined && { externalId }) },
        'replace',
      );
      await dir.changeMembers(t, before.id, { add: members, replace: true });
      return send(reply, 200, await groupResource(t, group, true));
    },
  );

  app.patch<{ Params: { id: string } }>(
    `${groupPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      const before = await groupOr404(t, req.params.id);
      let name = before.name;
      let externalId = before.externalId;
      const add: string[] = [];
      const remove: string[] = [];
      let replace = false;
      for (const o of operations(req.body)) {
        const path = o.path?.trim();
        const lower = path?.toLowerCase();
        const filtered = path === undefined ? undefined : /^members\[value eq "((?:[^"\\]|\\.)*)"\]$/i.exec(path);
        if (lower === 'members' || (path === undefined && isObject(o.value) && 'members' in o.value)) {
          const list = memberIds(path === undefined ? (o.value as Json).members : o.value, 'members');
          if (o.op === 'remove') {
            if (list.length === 0) {
              replace = true;
              add.length = 0;
            } else remove.push(...list);
          } else {
            if (o.op === 'replace') {
              replace = true;
              add.length = 0;
              remove.length = 0;
            }
            add.push(...list);
          }
        } else if (filtered && o.op === 'remove') {
          remove.push((filtered[1] as string).replace(/\\(.)/g, '$1'));
        }
        if (lower === 'displayname') name = o.op === 'remove' ? undefined : str(o.value, 'displayName');
        else if (lower === 'externalid') externalId = o.op === 'remove' ? undefined : str(o.value, 'externalId');
        else if (path === undefined && isObject(o.value)) {
          if (o.value.displayName !== undefined) name = str(o.value.displayName, 'displayName');
          if (o.value.externalId !== undefined) externalId = str(o.value.externalId, 'externalId');
        } else if (lower !== 'members' && !filtered)
          throw bad('invalidPath', `path ${String(path).slice(0, 100)} is not supported on a Group`);
      }
      if (name !== before.name || externalId !== before.externalId)
        await dir.putGroup(
          t,
          { id: before.id, ...(name !== undefined && { name }), ...(externalId !== undefined && { externalId }) },
          'replace',
        );
      if (add.length + remove.length > L.maxMembersPerWrite)
        throw bad('tooMany', `at most ${L.maxMembersPerWrite} members change in one PATCH`);
      const dropped = remove.filter((m) => !add.includes(m));
      if (add.length > 0 || dropped.length > 0 || replace) await dir.changeMembers(t, before.id, { add, remove: dropped, replace });
      if (!wantsMembers(req) || (req.query as { attributes?: string }).attributes !== undefined) return reply.status(204).send();
      return send(reply, 200, await groupResource(t, (await dir.getGroup(t, before.id)) as DirectoryGroup, true));
    },
  );

  app.delete<{ Params: { id: string } }>(
    `${groupPath}/:id`,
    { config: { access }, schema: { hide: true, params, querystring: query } },
    async (req, reply) => {
      const t = tenant(req);
      await groupOr404(t, req.params.id);
      await dir.deleteGroup(t, req.params.id);
      return reply.status(204).send();
    },
  );
}
