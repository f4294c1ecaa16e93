import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryHistory } from '../history/memory.js';
import { MemoryDirectory } from '../people/memory-directory.js';
import { recordHistory } from '../metrics.js';
import { createHarness, flowSource, type Harness } from '../testing/harness.js';
import { call } from '../../test/support/server.js';
import { workflowTestApp } from '../testing/http.js';
import { MAX_SUGGESTIONS } from './studio.js';

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
const ADMIN = 'default:admin';
const VIEWER = 'default:viewer';
const PEOPLE = {
  ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] },
  max: { tenant: 'default', role: 'agent', user: 'max', groups: ['billing-managers'] },
} as const;

let h: Harness;
let app: FastifyInstance;
let history: MemoryHistory;
const feeDoc = () => parse(flowSource('fee-reduction.yaml')) as Record<string, unknown> & { controls: Record<string, unknown>[] };

beforeEach(async () => {
  h = createHarness(T0);
  h.people.add('default', { id: 'ann', groups: ['billing-agents'] }, { id: 'max', groups: ['billing-managers'] });
  history = new MemoryHistory();
  recordHistory(h.engine, h.service, history);
  app = await workflowTestApp({ engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history }, PEOPLE);
  expect((await call(app, ADMIN, 'POST', '/v1/flows', flowSource('fee-reduction.yaml'), { 'content-type': 'text/yaml' })).statusCode).toBe(
    201,
  );
});

afterEach(async () => {
  await app.close();
});

describe('studio routes', () => {
  it('tells the page who the key is and whether it may edit', async () => {
    expect((await call(app, VIEWER, 'GET', '/v1/studio/session')).data).toMatchObject({
      tenant: 'default',
      role: 'viewer',
      canEdit: false,
    });
    expect((await call(app, ADMIN, 'GET', '/v1/studio/session')).data).toMatchObject({ tenant: 'default', role: 'admin', canEdit: true });
    expect((await call(app, 'ann', 'GET', '/v1/studio/session')).data).toMatchObject({ user: 'ann', canEdit: false });
  });

  it('validates with the publish check: the same issues, on the same paths, and nothing stored', async () => {
    const ok = await call(app, VIEWER, 'POST', '/v1/flows/validate', { ...feeDoc(), version: 2 });
    expect(ok.data).toMatchObject({ valid: true, issues: [], id: 'fee-reduction', version: 2, latestVersion: 1 });
    expect((await call(app, ADMIN, 'GET', '/v1/flows/fee-reduction')).data.versions).toEqual([1]);

    const stale = await call(app, VIEWER, 'POST', '/v1/flows/validate', feeDoc());
    expect(stale.data).toMatchObject({ valid: false, issues: [{ path: 'version' }] });

    const broken = feeDoc();
    broken.version = 2;
    broken.controls[1] = { ...broken.controls[1], when: 'fields.amount <' };
    broken.nodes = [...(broken.nodes as unknown[]), { id: 'orphan', type: 'task', assignees: { group: 'x' } }];
    const v = await call(app, VIEWER, 'POST', '/v1/flows/validate', broken);
    const paths = (v.data.issues as { path: string }[]).map((i) => i.path);
    expect(v.data.valid).toBe(false);
    expect(paths).toContain('controls[1].when');
    expect(paths.some((p) => p.startsWith('nodes[5]'))).toBe(true);
    const published = await call(app, ADMIN, 'POST', '/v1/flows', broken);
    expect(published.statusCode).toBe(400);
    expect((published.data.error as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(paths);
  });

  it('evaluates a condition on sample fields and names a bad one', async () => {
    const run = (expression: string, fields: Record<string, unknown>) =>
      call(app, VIEWER, 'POST', '/v1/flows/evaluate', { expression, fields });
    expect((await run('fields.amount < 500', { amount: 120 })).data).toEqual({ valid: true, value: true });
    expect((await run('fields.amount < 500', { amount: 900 })).data).toEqual({ valid: true, value: false });
    const bad = await run('fields.amount <', {});
    expect(bad.data.valid).toBe(false);
    expect(String(bad.data.error)).toContain('bad expression');
    expect(
      (await call(app, VIEWER, 'POST', '/v1/flows/evaluate', { expression: 'true', fields: { a: 'x'.repeat(10_001) } })).statusCode,
    ).toBe(400);
  });

  it('tests triggers against the deployed flows and a draft', async () => {
    const pick = (body: Record<string, unknown>) => call(app, VIEWER, 'POST', '/v1/flows/trigger-test', body);
    expect((await pick({ trajectory: ['main', 'cards', 'fee-reduction'], fields: { amount: 900 } })).data.match).toMatchObject({
      id: 'fee-reduction',
    });
    expect((await pick({ intent: 'fee_waiver', fields: { amount: 60_000 } })).data.match).toBeNull();
    const draft = { ...feeDoc(), version: 2, triggers: [{ intent: 'fee_waiver' }] };
    expect((await pick({ intent: 'fee_waiver', fields: { amount: 60_000 }, draft })).data.match).toMatchObject({
      id: 'fee-reduction',
      version: 2,
    });
  });

  it('counts open tickets per node, with stays and breaches from the history, and draws a ticket path', async () => {
    const t1 = (await call(app, 'ann', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 900 } })).data.ticket as {
      id: string;
    };
    await call(app, 'ann', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 100 } });
    h.clock.advance(60_000);
    const todo = (await call(app, 'ann', 'GET', `/v1/tickets/${t1.id}`)).data.todos as { id: string }[];
    expect((await call(app, 'ann', 'POST', `/v1/tickets/${t1.id}/actions`, { type: 'approve', todoId: todo[0]?.id })).statusCode).toBe(200);
    const figures = await call(app, VIEWER, 'GET', '/v1/flows/fee-reduction/versions/1/figures');
    expect(figures.statusCode).toBe(200);
    const nodes = figures.data.nodes as Record<string, { open: number; stays: number; medianMs: number; breaches: number }>;
    expect(nodes.level1).toMatchObject({ open: 1, stays: 1, medianMs: 60_000, breaches: 0 });
    expect(nodes.manager).toMatchObject({ open: 1, stays: 0 });
    expect(nodes.start).toMatchObject({ open: 0, stays: 2, medianMs: 0 });

    const path = await call(app, VIEWER, 'GET', `/v1/tickets/${t1.id}/path`);
    expect(path.data).toMatchObject({
      current: 'manager',
      edges: [
        { from: 'start', to: 'level1', control: 0 },
        { from: 'level1', to: 'manager', control: 2 },
      ],
      sla: { nodeId: 'manager', durationMs: 3_600_000, breached: false },
    });
    expect(path.data.nodes).toEqual(['start', 'level1', 'manager']);
  });

  it('previews a migration without moving anything, for admins only', async () => {
    const t = (await call(app, 'ann', 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 900 } })).data.ticket as {
      id: string;
    };
    const v2 = feeDoc();
    v2.version = 2;
    v2.nodes = (v2.nodes as { id: string }[]).map((n) => (n.id === 'level1' ? { ...n, id: 'first' } : n));
    v2.controls = v2.controls.map((c) => ({
      ...c,
      ...(c.from === 'level1' && { from: 'first' }),
      ...(c.to === 'level1' && { to: 'first' }),
    }));
    // The manager level is found from the organisation of whoever decided the first level: follow the rename.
    v2.nodes = JSON.parse(JSON.stringify(v2.nodes).replaceAll('decider:level1', 'decider:first'));
    v2.separationOfDuties = [{ name: 'one-level-per-person', nodes: ['first', 'manager', 'head'] }];
    expect((await call(app, ADMIN, 'POST', '/v1/flows', v2)).statusCode).toBe(201);
    const refused = await call(app, ADMIN, 'POST', '/v1/flows/fee-reduction/migration-preview', {});
    expect(refused.data.moves).toEqual([
      expect.objectContaining({ ticketId: t.id, fromNode: 'level1', refused: expect.stringContaining('node map') }),
    ]);
    const mapped = await call(app, ADMIN, 'POST', '/v1/flows/fee-reduction/migration-preview', { nodeMap: { level1: 'first' } });
    expect(mapped.data).toMatchObject({ toVersion: 2, moves: [{ ticketId: t.id, fromVersion: 1, fromNode: 'level1', toNode: 'first' }] });
    expect((await call(app, ADMIN, 'GET', `/v1/tickets/${t.id}`)).data).toMatchObject({ flow: { version: 1 }, nodeId: 'level1' });
    expect((await call(app, VIEWER, 'POST', '/v1/flows/fee-reduction/migration-preview', {})).statusCode).toBe(403);
  });

  it('suggests the people, calendars and channels the tenant’s flows name', async () => {
    const s = (await call(app, VIEWER, 'GET', '/v1/studio/suggestions')).data;
    expect(s.source).toBe('flows');
    expect(s.groups).toEqual(['billing-agents', 'billing-managers', 'billing-supervisors', 'department-heads']);
    expect(s.calendars).toEqual(['backoffice']);
    expect(s.roles).toContain('director');
    expect(s.channels).toContain('sms');
    expect(s.remind).toEqual(['preferred', 'email', 'sms', 'voice', 'wecom', 'webhook']);
    expect(s.truncated).toBe(false);
  });

  it('suggests the tenant’s directory (people with names, groups, organisations) and the refs its flows name, bounded', async () => {
    const directory = new MemoryDirectory();
    await directory.putOrg('default', { id: 'billing', name: 'Billing department' }, 'create');
    await directory.putGroup('default', { id: 'billing-agents', name: 'Billing agents' }, 'create');
    await directory.putGroup('default', { id: 'night-shift' }, 'create');
    await directory.putPerson('default', { id: 'ann', name: 'Ann Example', groups: ['billing-agents'], organisation: 'billing' }, 'create');
    await directory.putPerson('globex', { id: 'gus', name: 'Gus Globex' }, 'create');
    const withDir = await workflowTestApp({ engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history, directory });
    try {
      const s = (await call(withDir, VIEWER, 'GET', '/v1/studio/suggestions')).data;
      expect(s.source).toBe('directory');
      // The directory's own, then the flows' refs it does not hold (fallback groups, warning recipients, permissions).
      expect(s.groups).toEqual(['billing-agents', 'billing-managers', 'billing-supervisors', 'department-heads', 'night-shift']);
      expect(s.users).toEqual(['ann']);
      expect(s.organisations).toEqual(['billing']);
      expect(s.names).toEqual({
        'user:ann': 'Ann Example',
        'group:billing-agents': 'Billing agents',
        'organisation:billing': 'Billing department',
      });
      expect(s.truncated).toBe(false);
      // Another tenant's directory stays its own.
      const g = (await call(withDir, 'globex:viewer', 'GET', '/v1/studio/suggestions')).data;
      expect(g.users).toEqual(['gus']);
      expect(JSON.stringify(g)).not.toContain('Ann Example');

      // More people than one page: the first MAX_SUGGESTIONS by id, and `truncated`.
      for (let i = 0; i < MAX_SUGGESTIONS + 5; i++)
        await directory.putPerson('default', { id: `p${String(i).padStart(4, '0')}`, organisation: 'billing' }, 'create');
      const big = (await call(withDir, VIEWER, 'GET', '/v1/studio/suggestions')).data;
      expect((big.users as string[]).length).toBe(MAX_SUGGESTIONS);
      expect(big.users).toContain('ann');
      expect(big.truncated).toBe(true);
    } finally {
      await withDir.close();
    }
  });
});
