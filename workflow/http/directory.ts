import type { FastifyInstance } from 'fastify';
import type { Role } from '../../core/access.js';
import type {} from '../../core/http.js';
import { workflowError } from '../errors.js';
import type { Directory } from '../people/directory.js';
import { DIRECTORY_LIMITS as L } from '../people/limits.js';
import { CONTACT_CHANNELS, DIRECTORY_ID_PATTERN, notFound, type DirectoryKind } from '../people/model.js';
import { tenantOf } from './access.js';
import { errorResponses, tenantQuery } from './schemas.js';

/** Roles that read the directory: people working tickets and those watching; machine keys (router) do not. */
const READ: readonly Role[] = ['admin', 'agent', 'viewer'];
const WRITE: readonly Role[] = ['admin'];
const TAGS = ['people'];

const id = { type: 'string', pattern: DIRECTORY_ID_PATTERN } as const;
const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;
const page = {
  tenant: tenantQuery,
  limit: { type: 'integer', minimum: 1, maximum: L.maxPageSize, description: `Page size (default 50, at most ${L.maxPageSize}).` },
  cursor: { type: 'string', minLength: 1, maxLength: 1_000, description: 'From the previous page’s `nextCursor`.' },
} as const;
const withTenant = { type: 'object', additionalProperties: false, properties: { tenant: tenantQuery } } as const;
const text = { type: 'string', minLength: 1, maxLength: L.maxNameLength } as const;

/** A person as written and returned (every field is checked again by `checkPerson`, which names the field). */
export const personSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id'],
  description: 'A person. Unknown fields are refused with a 400 naming them.',
  properties: {
    id,
    userName: text,
    externalId: text,
    name: text,
    title: text,
    email: { type: 'string', maxLength: L.maxEmailLength, description: 'E-mail address (channel email).' },
    phone: { type: 'string', description: 'E.164 number, e.g. +4930123456 (channels sms and voice).' },
    wecom: { type: 'string', description: 'WeChat Work user id (channel wecom).' },
    webhook: { type: 'string', maxLength: L.maxUrlLength, description: 'http(s) URL (channel webhook).' },
    language: { type: 'string', description: 'BCP 47 tag for alert templates (en, zh-CN).' },
    preferred: { type: 'array', items: { type: 'string', enum: CONTACT_CHANNELS }, description: 'Channels in order of preference.' },
    groups: { type: 'array', maxItems: L.maxGroupsPerPerson, items: id },
    organisation: id,
    manager: { ...id, description: 'Explicit manager (person id); without one the head of the organisation is the manager.' },
    skills: { type: 'array', maxItems: L.maxSkills, items: { type: 'string' } },
    attributes: { type: 'object', additionalProperties: { type: 'string' } },
    capacity: { type: 'integer', minimum: 0, maximum: L.maxCapacity },
    active: { type: 'boolean', description: 'False while away: never assigned, never alerted; their open todos go to others.' },
  },
} as const;

const groupSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id'],
  properties: { id, name: text, externalId: text },
} as const;

const orgSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id'],
  properties: { id, name: text, parent: id, head: { ...id, description: 'Person id of the head (manager of the members).' } },
} as const;

const pageOf = (item: object) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string' }, total: { type: 'integer' } },
  }) as const;

/** The body's `id` must agree with the path's (or be left out). */
function bodyWithId(body: unknown, pathId: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const given = (body as { id?: unknown }).id;
  if (given !== undefined && given !== pathId)
    throw workflowError('SLUICE_ERR_VALIDATION', `body.id ("${String(given).slice(0, 100)}") and the path's id ("${pathId}") disagree`, {
      details: { field: 'body.id' },
    });
  return { ...body, id: pathId };
}

async function found<T>(kind: DirectoryKind, tenant: string, id: string, x: Promise<T | undefined>): Promise<T> {
  const v = await x;
  if (v === undefined) throw notFound(kind, tenant, id);
  return v;
}

/**
 * The people directory API: `/v1/people`, `/v1/groups`, `/v1/orgs` (create, read, replace,
 * delete, list by id with cursors; group and organisation members; a person's manager). The
 * tenant comes from the key (platform keys name it with `?tenant=`); admin keys write, agent and
 * viewer keys read. Every write is checked whole before anything is stored.
 */
export async function directoryRoutes(app: FastifyInstance, opts: { readonly directory: Directory }): Promise<void> {
  const dir = opts.directory;
  type Q = { tenant?: string; limit?: number; cursor?: string };

  for (const [path, kind, schema, label] of [
    ['/v1/people', 'person', personSchema, 'people'],
    ['/v1/groups', 'group', groupSchema, 'groups'],
    ['/v1/orgs', 'org', orgSchema, 'organisations'],
  ] as const) {
    const put = (tenant: string, body: unknown, mode: 'create' | 'upsert') =>
      kind === 'person'
        ? dir.putPerson(tenant, body, mode).then((r) => ({ value: r.person as object, created: r.created }))
        : kind === 'group'
          ? dir.putGroup(tenant, body, mode).then((r) => ({ value: r.group as object, created: r.created }))
          : dir.putOrg(tenant, body, mode).then((r) => ({ value: r.org as object, created: r.created }));
    const get = (tenant: string, key: string): Promise<object | undefined> =>
      kind === 'person' ? dir.getPerson(tenant, key) : kind === 'group' ? dir.getGroup(tenant, key) : dir.getOrg(tenant, key);
    const remove = (tenant: string, key: string) =>
      kind === 'person' ? dir.deletePerson(tenant, key) : kind === 'group' ? dir.deleteGroup(tenant, key) : dir.deleteOrg(tenant, key);

    app.get<{ Querystring: Q & { group?: string; organisation?: string } }>(
      path,
      {
        config: { access: { roles: READ, action: `read ${label}` } },
        schema: {
          tags: TAGS,
          summary: `The tenant’s ${label}, by id, a page at a time`,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: kind === 'person' ? { ...page, group: id, organisation: id } : page,
          },
          response: { 200: pageOf(schema), ...errorResponses },
        },
      },
      async (req) => {
        const tenant = tenantOf(req.principal, req.query.tenant);
        const o = {
          ...(req.query.limit !== undefined && { limit: req.query.limit }),
          ...(req.query.cursor && { cursor: req.query.cursor }),
        };
        if (kind === 'person') {
          if (req.query.group !== undefined && req.query.organisation !== undefined)
            throw workflowError('SLUICE_ERR_VALIDATION', 'querystring.organisation cannot be combined with querystring.group', {
              details: { field: 'querystring.organisation' },
            });
          return dir.listPersons(tenant, {
            ...o,
            ...(req.query.group !== undefined && { group: req.query.group }),
            ...(req.query.organisation !== undefined && { organisation: req.query.organisation }),
          });
        }
        return kind === 'group' ? dir.listGroups(tenant, o) : dir.listOrgs(tenant, o);
      },
    );

    app.post<{ Body: unknown; Querystring: { tenant?: string } }>(
      path,
      {
        config: { access: { roles: WRITE, action: `write ${label}` } },
        schema: {
          tags: TAGS,
          summary: `Create a ${kind === 'org' ? 'organisation' : kind}`,
          querystring: withTenant,
          body: schema,
          response: errorResponses,
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req.principal, req.query.tenant);
        return reply.code(201).send((await put(tenant, req.body, 'create')).value);
      },
    );

    app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
      `${path}/:id`,
      {
        config: { access: { roles: READ, action: `read ${label}` } },
        schema: {
          tags: TAGS,
          summary: `One ${kind === 'org' ? 'organisation' : kind}`,
          params: idParams,
          querystring: withTenant,
          response: errorResponses,
        },
      },
      async (req) => {
        const tenant = tenantOf(req.principal, req.query.tenant);
        return found(kind, tenant, req.params.id, get(tenant, req.params.id));
      },
    );

    app.put<{ Params: { id: string }; Body: unknown; Querystring: { tenant?: string } }>(
      `${path}/:id`,
      {
        config: { access: { roles: WRITE, action: `write ${label}` } },
        schema: {
          tags: TAGS,
          summary: `Create or replace a ${kind === 'org' ? 'organisation' : kind} (201 created, 200 replaced)`,
          params: idParams,
          querystring: withTenant,
          body: { ...schema, required: [] },
          response: errorResponses,
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req.principal, req.query.tenant);
        const r = await put(tenant, bodyWithId(req.body, req.params.id), 'upsert');
        return reply.code(r.created ? 201 : 200).send(r.value);
      },
    );

    app.delete<{ Params: { id: string }; Querystring: { tenant?: string } }>(
      `${path}/:id`,
      {
        config: { access: { roles: WRITE, action: `write ${label}` } },
        schema: {
          tags: TAGS,
          summary:
            kind === 'person'
              ? 'Delete a person (their open todos go to someone else)'
              : kind === 'group'
                ? 'Delete a group (its members stay, without it)'
                : 'Delete an organisation without members or sub-organisations',
          params: idParams,
          querystring: withTenant,
          response: errorResponses,
        },
      },
      async (req, reply) => {
        await remove(tenantOf(req.principal, req.query.tenant), req.params.id);
        return reply.code(204).send();
      },
    );
  }

  for (const [path, kind] of [
    ['/v1/groups/:id/members', 'group'],
    ['/v1/orgs/:id/members', 'org'],
  ] as const) {
    app.get<{ Params: { id: string }; Querystring: Q }>(
      path,
      {
        config: { access: { roles: READ, action: 'read people' } },
        schema: {
          tags: TAGS,
          summary: `Members of a ${kind === 'org' ? 'organisation' : 'group'}, by id, a page at a time`,
          params: idParams,
          querystring: { type: 'object', additionalProperties: false, properties: page },
          response: { 200: pageOf(personSchema), ...errorResponses },
        },
      },
      async (req) => {
        const tenant = tenantOf(req.principal, req.query.tenant);
        await found(
          kind,
          tenant,
          req.params.id,
          kind === 'group' ? dir.getGroup(tenant, req.params.id) : dir.getOrg(tenant, req.params.id),
        );
        return dir.listPersons(tenant, {
          ...(kind === 'group' ? { group: req.params.id } : { organisation: req.params.id }),
          ...(req.query.limit !== undefined && { limit: req.query.limit }),
          ...(req.query.cursor && { cursor: req.query.cursor }),
        });
      },
    );
  }

  app.post<{ Params: { id: string }; Body: { add?: string[]; remove?: string[] }; Querystring: { tenant?: string } }>(
    '/v1/groups/:id/members',
    {
      config: { access: { roles: WRITE, action: 'write groups' } },
      schema: {
        tags: TAGS,
        summary: 'Add and remove members of a group (person ids)',
        params: idParams,
        querystring: withTenant,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            add: { type: 'array', maxItems: L.maxMembersPerWrite, items: id },
            remove: { type: 'array', maxItems: L.maxMembersPerWrite, items: id },
          },
        },
        response: errorResponses,
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      await dir.changeMembers(tenant, req.params.id, {
        ...(req.body.add && { add: req.body.add }),
        ...(req.body.remove && { remove: req.body.remove }),
      });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/people/:id/manager',
    {
      config: { access: { roles: READ, action: 'read people' } },
      schema: {
        tags: TAGS,
        summary: 'A person’s manager: their explicit manager, else the head of their organisation (up the tree)',
        params: idParams,
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      await found('person', tenant, req.params.id, dir.getPerson(tenant, req.params.id));
      const manager = await dir.managerOf(tenant, req.params.id);
      if (!manager) throw workflowError('SLUICE_ERR_DIRECTORY_NOT_FOUND', `person "${req.params.id}" has no manager in tenant "${tenant}"`);
      return manager;
    },
  );
}
