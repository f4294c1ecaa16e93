import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeader, call } from '../../test/support/server.js';
import { MemoryDirectory } from '../people/memory-directory.js';
import { directoryRoutes } from './directory.js';
import { scimRoutes } from './scim.js';
import { testServer } from '../../test/support/server.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
let dir: MemoryDirectory;
let app: FastifyInstance;

beforeAll(async () => {
  dir = new MemoryDirectory();
  app = await testServer(async (a) => {
    await a.register(async (scope) => {
      await directoryRoutes(scope, { directory: dir });
      await scope.register(scimRoutes, { directory: dir });
    });
  });
});

afterAll(async () => {
  await app.close();
});

/** A SCIM request as an identity provider sends it: `application/scim+json`, bearer = the tenant's admin key. */
async function scim(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, label = 'default:admin') {
  const res = await app.inject({
    method,
    url,
    headers: { ...authHeader(app, label), ...(body !== undefined && { 'content-type': 'application/scim+json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  return Object.assign(res, { data: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} });
}

describe('SCIM 2.0 round trip', () => {
  it('takes users and groups the way Entra ID pushes them, and serves them back through SCIM and /v1', async () => {
    // Entra first asks whether the user exists.
    const probe = await scim('GET', '/scim/v2/Users?filter=userName%20eq%20%22dora%40acme.test%22');
    expect(probe.statusCode).toBe(200);
    expect(probe.headers['content-type']).toContain('application/scim+json');
    expect(probe.data).toMatchObject({ totalResults: 0, Resources: [] });

    const dora = await scim('POST', '/scim/v2/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName: 'dora@acme.test',
      externalId: 'e-dora',
      active: true,
      displayName: 'Dora Head',
      emails: [{ primary: true, type: 'work', value: 'dora@acme.test' }],
      phoneNumbers: [{ type: 'mobile', value: '+49 (30) 100-001' }],
      preferredLanguage: 'de-DE',
      addresses: [{ type: 'work', locality: 'Berlin' }],
      [ENTERPRISE]: { department: 'Billing', employeeNumber: '7' },
    });
    expect(dora.statusCode).toBe(201);
    expect(dora.data).toMatchObject({
      id: 'dora@acme.test',
      userName: 'dora@acme.test',
      active: true,
      [ENTERPRISE]: { department: 'Billing' },
    });
    const ann = await scim('POST', '/scim/v2/Users', {
      userName: 'ann@acme.test',
      name: { givenName: 'Ann', familyName: 'Agent' },
      emails: [{ value: 'ann@acme.test' }],
      [ENTERPRISE]: { department: 'Billing', manager: { value: 'dora@acme.test' } },
    });
    expect(ann.statusCode).toBe(201);
    expect((await scim('POST', '/scim/v2/Users', { userName: 'ann@acme.test' })).data).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
    });

    const group = await scim('POST', '/scim/v2/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Billing Agents',
      members: [{ value: 'ann@acme.test' }],
    });
    expect(group.statusCode).toBe(201);
    expect(group.data).toMatchObject({ id: 'billing-agents', displayName: 'Billing Agents', members: [{ value: 'ann@acme.test' }] });
    const byName = await scim('GET', '/scim/v2/Groups?filter=displayName%20eq%20%22Billing%20Agents%22&excludedAttributes=members');
    expect(byName.data).toMatchObject({ totalResults: 1, Resources: [{ id: 'billing-agents' }] });
    expect((byName.data.Resources as Record<string, unknown>[])[0]).not.toHaveProperty('members');

    // Entra's PATCH: add a member, then deactivate a user (its value as a string), then set a manager.
    expect(
      (
        await scim('PATCH', '/scim/v2/Groups/billing-agents', {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: [{ value: 'dora@acme.test' }] }],
        })
      ).statusCode,
    ).toBe(200);
    const off = await scim('PATCH', '/scim/v2/Users/dora@acme.test', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '+4930100009' },
      ],
    });
    expect(off.data).toMatchObject({ active: false, phoneNumbers: [{ value: '+4930100009' }], groups: [{ value: 'billing-agents' }] });

    // Read back through /v1: the same directory, department as organisation, manager kept.
    const people = await call(app, 'default:viewer', 'GET', '/v1/people');
    expect(people.data).toMatchObject({ total: 2 });
    expect(await call(app, 'default:agent', 'GET', '/v1/people/ann@acme.test').then((r) => r.data)).toEqual({
      id: 'ann@acme.test',
      userName: 'ann@acme.test',
      name: 'Ann Agent',
      email: 'ann@acme.test',
      groups: ['billing-agents'],
      organisation: 'billing',
      manager: 'dora@acme.test',
    });
    expect((await call(app, 'default:viewer', 'GET', '/v1/people/dora@acme.test')).data).toMatchObject({
      phone: '+4930100009',
      language: 'de-DE',
      active: false,
      groups: ['billing-agents'],
    });
    expect((await call(app, 'default:viewer', 'GET', '/v1/orgs/billing')).data).toEqual({ id: 'billing', name: 'Billing' });
    expect((await call(app, 'default:viewer', 'GET', '/v1/people/ann@acme.test/manager')).data).toMatchObject({ id: 'dora@acme.test' });

    // Remove a member by filter, PUT a user (fields SCIM does not carry are kept), delete.
    await call(app, 'default:admin', 'PUT', '/v1/people/ann@acme.test', {
      ...(await call(app, 'default:admin', 'GET', '/v1/people/ann@acme.test')).data,
      wecom: 'ann.w',
    });
    await scim('PATCH', '/scim/v2/Groups/billing-agents', {
      Operations: [{ op: 'remove', path: 'members[value eq "dora@acme.test"]' }],
    });
    const put = await scim('PUT', '/scim/v2/Users/ann@acme.test', { userName: 'ann@acme.test', displayName: 'Ann A.', active: true });
    expect(put.statusCode).toBe(200);
    expect((await call(app, 'default:viewer', 'GET', '/v1/people/ann@acme.test')).data).toMatchObject({
      name: 'Ann A.',
      wecom: 'ann.w',
      groups: ['billing-agents'],
      organisation: 'billing',
    });
    expect((await scim('GET', '/scim/v2/Groups/billing-agents')).data).toMatchObject({ members: [{ value: 'ann@acme.test' }] });
    expect((await scim('DELETE', '/scim/v2/Users/dora@acme.test')).statusCode).toBe(204);
    expect((await scim('GET', '/scim/v2/Users/dora@acme.test')).data).toMatchObject({ status: '404' });
    expect((await call(app, 'default:viewer', 'GET', '/v1/people/ann@acme.test/manager')).statusCode).toBe(404);
  });

  it('answers SCIM errors: bad filters, bad values, wrong keys, another tenant', async () => {
    expect((await scim('GET', '/scim/v2/Users?filter=emails%20co%20%22x%22')).data).toMatchObject({
      status: '400',
      scimType: 'invalidFilter',
    });
    expect((await scim('POST', '/scim/v2/Users', { userName: 'has space' })).data).toMatchObject({
      status: '400',
      scimType: 'invalidValue',
    });
    expect((await scim('POST', '/scim/v2/Users', { userName: 'zed', phoneNumbers: [{ value: 'call me' }] })).data).toMatchObject({
      status: '400',
      detail: expect.stringContaining('E.164'),
    });
    expect((await scim('PATCH', '/scim/v2/Users/ann@acme.test', { Operations: [{ op: 'jump' }] })).data).toMatchObject({
      scimType: 'invalidSyntax',
    });
    const viewer = await scim('GET', '/scim/v2/Users', undefined, 'default:viewer');
    expect(viewer.statusCode).toBe(403);
    expect(viewer.data).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403' });
    const anonymous = await app.inject({ method: 'GET', url: '/scim/v2/Users' });
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ status: '401' });
    expect((await scim('GET', '/scim/v2/Users', undefined, 'globex:admin')).data).toMatchObject({ totalResults: 0 });
    expect((await scim('GET', '/scim/v2/Users/ann@acme.test', undefined, 'globex:admin')).statusCode).toBe(404);
  });
});

describe('/v1/people, /v1/groups, /v1/orgs', () => {
  it('lets admins write and agents and viewers read, per tenant, with clear 4xx', async () => {
    expect((await call(app, 'globex:admin', 'POST', '/v1/groups', { id: 'heads', name: 'Heads' })).statusCode).toBe(201);
    expect((await call(app, 'globex:admin', 'POST', '/v1/people', { id: 'hal', groups: ['heads'] })).statusCode).toBe(201);
    expect((await call(app, 'globex:admin', 'POST', '/v1/orgs', { id: 'ops', head: 'hal' })).statusCode).toBe(201);
    expect((await call(app, 'globex:agent', 'POST', '/v1/people', { id: 'x' })).statusCode).toBe(403);
    expect((await call(app, 'globex:router', 'GET', '/v1/people')).statusCode).toBe(403);
    const dup = await call(app, 'globex:admin', 'POST', '/v1/people', { id: 'hal' });
    expect(dup.statusCode).toBe(409);
    expect(dup.data).toMatchObject({ error: { code: 'SLUICE_ERR_DIRECTORY_CONFLICT' } });
    const unknown = await call(app, 'globex:admin', 'POST', '/v1/people', { id: 'eve', tenant: 'default' });
    expect(unknown.data).toMatchObject({ error: { code: 'SLUICE_ERR_VALIDATION', field: 'body.tenant' } });
    const mismatch = await call(app, 'globex:admin', 'PUT', '/v1/people/eve', { id: 'bob' });
    expect(mismatch.data).toMatchObject({ error: { field: 'body.id' } });
    expect((await call(app, 'globex:admin', 'PUT', '/v1/people/eve', { phone: '+4930123' })).statusCode).toBe(201);
    expect((await call(app, 'globex:admin', 'PUT', '/v1/people/eve', { phone: '+4930124' })).statusCode).toBe(200);
    expect((await call(app, 'globex:viewer', 'GET', '/v1/groups/heads/members')).data).toMatchObject({ items: [{ id: 'hal' }], total: 1 });
    expect((await call(app, 'globex:viewer', 'GET', '/v1/orgs/nope/members')).statusCode).toBe(404);
    expect((await call(app, 'globex:admin', 'POST', '/v1/groups/heads/members', { add: ['eve'], remove: ['hal'] })).statusCode).toBe(204);
    expect((await call(app, 'globex:viewer', 'GET', '/v1/people?group=heads')).data).toMatchObject({ items: [{ id: 'eve' }] });
    expect((await call(app, 'globex:admin', 'DELETE', '/v1/orgs/ops')).statusCode).toBe(204);
    expect((await call(app, 'globex:admin', 'DELETE', '/v1/people/hal')).statusCode).toBe(204);
    expect((await call(app, 'globex:admin', 'DELETE', '/v1/people/hal')).statusCode).toBe(404);
    // Another tenant's key never sees these.
    expect((await call(app, 'default:viewer', 'GET', '/v1/people/eve')).statusCode).toBe(404);
    expect((await call(app, 'default:viewer', 'GET', '/v1/people?tenant=globex')).statusCode).toBe(404);
    expect((await call(app, '*:admin', 'GET', '/v1/people?tenant=globex')).data).toMatchObject({ total: 1 });
    const pageOne = await call(app, 'globex:viewer', 'GET', '/v1/people?limit=1');
    expect(pageOne.data.nextCursor).toBeUndefined();
    expect((await call(app, 'globex:viewer', 'GET', '/v1/people?limit=0')).statusCode).toBe(400);
  });
});
