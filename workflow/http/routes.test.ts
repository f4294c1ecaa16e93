import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryHistory } from '../history/memory.js';
import { createHarness, flowSource, type Harness } from '../testing/harness.js';
import { call } from '../../test/support/server.js';
import { workflowTestApp } from '../testing/http.js';

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
const ADMIN = 'default:admin';
const AGENT = 'default:agent';
/** Keys of people: the workflow acts as the key's user, with the key's role and groups. */
const PEOPLE = {
  ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] },
  max: { tenant: 'default', role: 'agent', user: 'max', groups: ['billing-managers'] },
} as const;

let h: Harness;
let app: FastifyInstance;
let ticketId: string;

beforeEach(async () => {
  h = createHarness(T0);
  h.people.add('default', { id: 'ann', groups: ['billing-agents'] }, { id: 'max', groups: ['billing-managers'] });
  app = await workflowTestApp(
    { engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history: new MemoryHistory() },
    PEOPLE,
  );
  const published = await call(app, ADMIN, 'POST', '/v1/flows', flowSource('fee-reduction.yaml'), { 'content-type': 'text/yaml' });
  expect(published.statusCode).toBe(201);
  const created = await call(app, 'ann', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 900 } });
  expect(created.statusCode).toBe(201);
  ticketId = (created.data.ticket as { id: string }).id;
});

afterEach(async () => {
  await app.close();
});

describe('workflow routes: flows', () => {
  it('publishes YAML, a JSON document and JSON {source}, lists and reads versions', async () => {
    const yaml = flowSource('fee-reduction.yaml');
    const v2 = await call(app, ADMIN, 'POST', '/v1/flows', { source: yaml.replace('version: 1', 'version: 2') });
    expect(v2.statusCode).toBe(201);
    expect(v2.data).toEqual({
      tenant: 'default',
      id: 'fee-reduction',
      version: 2,
      name: 'Fee reduction request',
      description: 'Tiered approval of fee reductions requested by callers.',
    });
    const doc = (await call(app, ADMIN, 'GET', '/v1/flows/fee-reduction/versions/1')).data.document as Record<string, unknown>;
    const { tenant: _ignored, ...withoutTenant } = doc;
    const v3 = await call(app, ADMIN, 'POST', '/v1/flows', { ...withoutTenant, version: 3 });
    expect(v3.statusCode).toBe(201);
    expect(v3.data.tenant).toBe('default');
    const one = await call(app, 'default:viewer', 'GET', '/v1/flows/fee-reduction');
    expect(one.data).toMatchObject({ id: 'fee-reduction', latestVersion: 3, versions: [1, 2, 3], document: { version: 3 } });
    expect((await call(app, 'default:router', 'GET', '/v1/flows')).data.flows).toEqual([
      expect.objectContaining({ id: 'fee-reduction', latestVersion: 3 }),
    ]);
    const again = await call(app, ADMIN, 'POST', '/v1/flows', yaml, { 'content-type': 'application/yaml' });
    expect(again.statusCode).toBe(409);
    expect(again.data.error).toMatchObject({ code: 'SLUICE_ERR_FLOW_VERSION_EXISTS' });
  });

  it('refuses bad definitions with the reason, and bad input on every flow route', async () => {
    const invalid = await call(
      app,
      ADMIN,
      'POST',
      '/v1/flows',
      flowSource('fee-reduction.yaml').replace('version: 1', 'version: 5').replace('type: end', 'type: finish'),
      { 'content-type': 'text/yaml' },
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.data.error).toMatchObject({
      code: 'SLUICE_ERR_FLOW_INVALID',
      issues: expect.arrayContaining([expect.objectContaining({ path: 'nodes[4].type' })]),
    });
    const parse = await call(app, ADMIN, 'POST', '/v1/flows', 'id: [unclosed', { 'content-type': 'text/yaml' });
    expect(parse.data.error).toMatchObject({ code: 'SLUICE_ERR_FLOW_PARSE' });
    expect(parse.statusCode).toBe(400);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/flows', { source: 7 }, 'body.source'],
      ['POST', '/v1/flows', { source: 'id: x', format: 'toml' }, 'body.format'],
      ['POST', '/v1/flows', { source: 'id: x', version: 2 }, 'body.version'],
      ['GET', '/v1/flows?tenant=Not_A_Tenant!', undefined, 'querystring.tenant'],
      ['GET', '/v1/flows/bad%20id', undefined, 'params.id'],
      ['GET', '/v1/flows/fee-reduction/versions/latest', undefined, 'params.version'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await call(app, ADMIN, method as 'GET' | 'POST', url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.data.error, `${method} ${url}`).toMatchObject({ field });
    }
    expect((await call(app, ADMIN, 'POST', '/v1/flows', [1, 2])).statusCode).toBe(400);
    expect((await call(app, ADMIN, 'POST', '/v1/flows', 'hello', { 'content-type': 'text/plain' })).statusCode).toBe(415);
    expect((await call(app, ADMIN, 'GET', '/v1/flows/nope')).data.error).toMatchObject({ code: 'SLUICE_ERR_FLOW_NOT_FOUND' });
    expect((await call(app, ADMIN, 'GET', '/v1/flows/fee-reduction/versions/9')).statusCode).toBe(404);
  });

  it('lets only admins publish', async () => {
    for (const role of ['agent', 'router', 'viewer']) {
      expect(
        (await call(app, `default:${role}`, 'POST', '/v1/flows', flowSource('fee-reduction.yaml'), { 'content-type': 'text/yaml' }))
          .statusCode,
      ).toBe(403);
    }
  });
});

describe('workflow routes: tickets', () => {
  it('creates, reads (ETag), lists with filters and cursor, and acts with optimistic concurrency', async () => {
    const got = await call(app, 'default:viewer', 'GET', `/v1/tickets/${ticketId}`);
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.data).toMatchObject({
      id: ticketId,
      nodeId: 'level1',
      state: 'active',
      fields: { amount: 900 },
      todos: [expect.objectContaining({ assignee: 'ann' })],
    });
    const ivr = await call(app, 'default:router', 'POST', '/v1/tickets', {
      intent: 'fee_reduction',
      callId: 'c-1',
      fields: { amount: 50 },
    });
    expect(ivr.statusCode).toBe(201);
    const first = await call(app, AGENT, 'GET', '/v1/tickets?limit=1&flowId=fee-reduction');
    expect((first.data.items as { id: string }[]).map((t) => t.id)).toEqual([ticketId]);
    const second = await call(app, AGENT, 'GET', `/v1/tickets?limit=1&flowId=fee-reduction&cursor=${String(first.data.nextCursor)}`);
    expect((second.data.items as { id: string }[]).map((t) => t.id)).toEqual([(ivr.data.ticket as { id: string }).id]);
    expect(second.data.nextCursor).toBeUndefined();
    expect((await call(app, AGENT, 'GET', '/v1/todos?assignee=ann')).data.items).toHaveLength(2);

    const stale = await call(app, 'ann', 'POST', `/v1/tickets/${ticketId}/actions`, { type: 'comment', text: 'hi' }, { 'if-match': '"7"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.data.error).toMatchObject({ code: 'SLUICE_ERR_TICKET_CONFLICT', retriable: true });
    const ok = await call(
      app,
      'ann',
      'POST',
      `/v1/tickets/${ticketId}/actions`,
      { type: 'approve', expectedRevision: 1 },
      { 'if-match': 'W/"1"' },
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.data.ticket).toMatchObject({ nodeId: 'manager', revision: 2 });
    expect((ok.data.events as { type: string }[]).map((e) => e.type)).toContain('node.entered');
    expect((await call(app, AGENT, 'GET', '/v1/tickets?status=active&assignee=max')).data.items).toHaveLength(1);
  });

  it('answers bad input on every ticket route with a 4xx naming the field', async () => {
    const cases: [string, string, unknown, number, string | undefined][] = [
      ['POST', '/v1/tickets', {}, 400, 'body.flowId'],
      ['POST', '/v1/tickets', { flowId: 'fee-reduction', intent: 'fee_reduction' }, 400, 'body.flowId'],
      ['POST', '/v1/tickets', { flowId: 'fee-reduction', fields: 'amount=5' }, 400, 'body.fields'],
      ['POST', '/v1/tickets', { flowId: 'fee-reduction', actor: { groups: ['x'] } }, 400, 'body.actor'],
      ['POST', '/v1/tickets', { flowId: 'fee-reduction', colour: 'red' }, 400, undefined],
      ['POST', '/v1/tickets', { flowId: 'nope' }, 404, undefined],
      ['POST', '/v1/tickets', { intent: 'weather' }, 422, undefined],
      ['GET', '/v1/tickets/bad%20id', undefined, 400, 'params.id'],
      ['GET', '/v1/tickets/nope', undefined, 404, undefined],
      ['GET', '/v1/tickets?status=open', undefined, 400, 'querystring.status'],
      ['GET', '/v1/tickets?limit=0', undefined, 400, 'querystring.limit'],
      ['GET', '/v1/tickets?cursor=garbage', undefined, 400, undefined],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'explode' }, 400, 'body.type'],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'comment' }, 400, 'body.text'],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'reassign', to: 'bob' }, 400, 'body.todoId'],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'pause' }, 400, 'body.status'],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'approve', expectedRevision: 0 }, 400, 'body.expectedRevision'],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'resume' }, 422, undefined],
      ['POST', `/v1/tickets/${ticketId}/migrate`, { toVersion: 'latest' }, 400, 'body.toVersion'],
      ['POST', `/v1/tickets/${ticketId}/migrate`, { toVersion: 1 }, 422, undefined],
      ['GET', '/v1/tickets/bad%20id/sla', undefined, 400, 'params.id'],
      ['GET', '/v1/todos', undefined, 400, 'querystring.assignee'],
      ['GET', '/v1/reports/sla?from=10&to=5&by=flow', undefined, 400, 'querystring.to'],
      ['GET', '/v1/reports/sla?from=0&to=5&by=week', undefined, 400, 'querystring.by'],
      ['GET', '/v1/reports/sla?from=0&by=flow', undefined, 400, 'querystring.to'],
      ['GET', `/v1/reports/sla?from=${2 ** 53}&to=${2 ** 53 + 1}&by=flow`, undefined, 400, 'querystring.from'],
      ['GET', '/v1/reports/sla?from=0&to=1e300&by=flow', undefined, 400, 'querystring.to'],
    ];
    for (const [method, url, body, status, field] of cases) {
      const res = await call(app, 'default:admin', method as 'GET' | 'POST', url, body);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}`).toBe(status);
      if (field !== undefined) expect(res.data.error, `${method} ${url}`).toMatchObject({ field });
    }
    const badHeader = await call(app, 'ann', 'POST', `/v1/tickets/${ticketId}/actions`, { type: 'approve' }, { 'if-match': 'yesterday' });
    expect(badHeader.data.error).toMatchObject({ field: 'headers.if-match' });
    const disagree = await call(
      app,
      'ann',
      'POST',
      `/v1/tickets/${ticketId}/actions`,
      { type: 'approve', expectedRevision: 1 },
      { 'if-match': '"3"' },
    );
    expect(disagree.statusCode).toBe(400);
  });

  it('enforces roles: routers open tickets from the IVR but neither act nor start flows as agents, viewers only read', async () => {
    expect((await call(app, 'default:router', 'POST', '/v1/tickets', { intent: 'fee_reduction', fields: { amount: 1 } })).statusCode).toBe(
      201,
    );
    const asItself = await call(app, 'default:router', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 1 } });
    expect(asItself.statusCode).toBe(403);
    expect(asItself.data.error).toMatchObject({ code: 'SLUICE_ERR_FORBIDDEN', message: '"key:key#2" may not start flow "fee-reduction"' });
    expect((await call(app, 'default:router', 'POST', `/v1/tickets/${ticketId}/actions`, { type: 'approve' })).statusCode).toBe(403);
    expect((await call(app, 'default:viewer', 'POST', '/v1/tickets', { flowId: 'fee-reduction' })).statusCode).toBe(403);
    expect((await call(app, 'default:viewer', 'POST', `/v1/tickets/${ticketId}/migrate`, {})).statusCode).toBe(403);
    expect((await call(app, undefined, 'GET', '/v1/flows')).statusCode).toBe(401);
  });
});

describe('workflow routes: tenant isolation', () => {
  it('answers another tenant’s flows and tickets with 404, never 403', async () => {
    const other = 'globex:admin';
    const probes: [string, string, unknown][] = [
      ['GET', `/v1/tickets/${ticketId}`, undefined],
      ['GET', `/v1/tickets/${ticketId}?tenant=default`, undefined],
      ['GET', `/v1/tickets/${ticketId}/sla`, undefined],
      ['POST', `/v1/tickets/${ticketId}/actions`, { type: 'comment', text: 'x' }],
      ['POST', `/v1/tickets/${ticketId}/actions?tenant=default`, { type: 'comment', text: 'x' }],
      ['POST', `/v1/tickets/${ticketId}/migrate`, {}],
      ['GET', '/v1/tickets?tenant=default', undefined],
      ['GET', '/v1/todos?assignee=ann&tenant=default', undefined],
      ['GET', '/v1/flows/fee-reduction', undefined],
      ['GET', '/v1/flows/fee-reduction/versions/1', undefined],
      ['GET', '/v1/flows?tenant=default', undefined],
      ['POST', '/v1/tickets', { tenant: 'default', flowId: 'fee-reduction' }],
      ['POST', '/v1/tickets', { flowId: 'fee-reduction' }],
      ['POST', '/v1/flows', { source: flowSource('fee-reduction.yaml').replace('version: 1', 'version: 7') }],
      ['GET', '/v1/reports/sla?from=0&to=10&by=flow&tenant=default', undefined],
    ];
    for (const [method, url, body] of probes) {
      const res = await call(app, other, method as 'GET' | 'POST', url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await call(app, other, 'GET', '/v1/tickets')).data.items).toEqual([]);
    expect((await call(app, AGENT, 'GET', `/v1/tickets/${ticketId}`)).data.revision).toBe(1);
  });

  it('makes platform keys name the tenant', async () => {
    const missing = await call(app, '*:admin', 'GET', `/v1/tickets/${ticketId}`);
    expect(missing.statusCode).toBe(400);
    expect(missing.data.error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'querystring.tenant' });
    expect((await call(app, '*:admin', 'GET', `/v1/tickets/${ticketId}?tenant=default`)).statusCode).toBe(200);
    expect((await call(app, '*:admin', 'POST', '/v1/tickets', { flowId: 'fee-reduction' })).data.error).toMatchObject({
      field: 'body.tenant',
    });
    expect(
      (await call(app, '*:admin', 'POST', '/v1/tickets', { tenant: 'default', flowId: 'fee-reduction', fields: { amount: 3 } })).statusCode,
    ).toBe(201);
  });
});

describe('workflow routes: OpenAPI', () => {
  it('documents every route with its schemas, YAML bodies included', () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/flows',
      '/v1/flows/evaluate',
      '/v1/flows/trigger-test',
      '/v1/flows/validate',
      '/v1/flows/{id}',
      '/v1/flows/{id}/migration-preview',
      '/v1/flows/{id}/versions/{version}',
      '/v1/flows/{id}/versions/{version}/figures',
      '/v1/reports/sla',
      '/v1/studio/session',
      '/v1/studio/suggestions',
      '/v1/tickets',
      '/v1/tickets/{id}',
      '/v1/tickets/{id}/actions',
      '/v1/tickets/{id}/migrate',
      '/v1/tickets/{id}/path',
      '/v1/tickets/{id}/sla',
      '/v1/todos',
    ]);
    expect(Object.keys(doc.paths['/v1/flows']?.post?.requestBody?.content ?? {})).toEqual(
      expect.arrayContaining(['application/json', 'text/yaml']),
    );
  });
});
