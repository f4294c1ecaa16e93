import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFor } from '../../adapters/clock.js';
import { authHeader, testPrincipal, testServer } from '../../test/support/server.js';
import { DEFAULT_POLICY } from '../policy/defaults.js';
import { controlRoutes } from './routes.js';
import { calm, harness } from '../testing/harness.js';
import type { Harness } from '../testing/harness.js';

let h: Harness;
let app: FastifyInstance;

/** The control routes on the test server: the app's auth (a key per `tenant:role`) and errors plugins. */
function build(): Promise<FastifyInstance> {
  return testServer((a) => a.register(controlRoutes, { service: h.svc, clock: h.clock }), { tenants: ['acme', 'globex', '*'] });
}

beforeEach(async () => {
  h = harness();
  h.view.set([calm('acme', 'care', h.clock.now()), calm('globex', 'sales', h.clock.now())]);
  await h.svc.start();
  app = await build();
});
afterEach(async () => {
  await app.close();
  await h.svc.stop();
});

/** Signed in with the key labelled `tenant:role`. */
const as = (label: string) => authHeader(app, label);
const body = { tenant: 'acme', callId: 'call-1', skillGroup: 'care', priority: 'normal' };
const post = (url: string, payload: unknown, who = 'acme:router') =>
  app.inject({ method: 'POST', url, payload: payload as object, headers: as(who) });

describe('POST /v1/route', () => {
  it('answers a decision with its id, target, CTI node, level and reason', async () => {
    const r = await post('/v1/route', { ...body, intent: 'billing', ivrTrajectory: ['menu', 'billing'] });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      decisionId: expect.stringMatching(/-/),
      target: 'agent',
      ctiNode: 'a',
      level: 0,
      reason: 'L0: normal → agent via primary CTI a (policy)',
    });
  });

  it.each([
    [{ ...body, priority: undefined }, /priority/],
    [{ ...body, priority: 'urgent' }, /priority/],
    [{ ...body, tenant: 'Not A Tenant!' }, /tenant/],
    [{ ...body, callId: '' }, /callId/],
    [{ ...body, skillGroup: 'x'.repeat(200) }, /skillGroup/],
    [{ ...body, ivrTrajectory: Array.from({ length: 65 }, () => 'step') }, /ivrTrajectory/],
    [{ ...body, extra: 1 }, /body\.extra is not allowed/],
  ])('refuses bad input with a 400 that names the field (%#)', async (payload, field) => {
    const r = await post('/v1/route', payload, '*:router');
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(field);
  });

  it('keeps tenants apart: another tenant is "not found"; an unknown tenant or skill group is a 422 naming it', async () => {
    const other = await post('/v1/route', { ...body, tenant: 'globex' }, 'acme:router');
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('SLUICE_ERR_NOT_FOUND');
    const unknown = await post('/v1/route', { ...body, tenant: 'initech' }, '*:router');
    expect([unknown.statusCode, unknown.json().error]).toEqual([
      422,
      expect.objectContaining({
        code: 'SLUICE_ERR_CONTROL_UNKNOWN_TENANT',
        field: 'body.tenant',
        message: expect.stringContaining('"initech"'),
      }),
    ]);
    const typo = await post('/v1/route', { ...body, skillGroup: 'car' });
    expect([typo.statusCode, typo.json().error]).toEqual([
      422,
      expect.objectContaining({
        code: 'SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP',
        field: 'body.skillGroup',
        message: expect.stringContaining('skill group "car" of tenant "acme"'),
      }),
    ]);
    expect(h.svc.stats().refusals).toEqual({ 'unknown-tenant': 1, 'unknown-skill-group': 1, 'tenant-level': 0 });
  });

  it('routes a declared skill group before its first event, and an unknown one at the tenant level when the policy says so', async () => {
    const put = (policy: object) =>
      app.inject({ method: 'PUT', url: '/v1/control/policy', payload: { policy }, headers: as('acme:admin') });
    expect((await put({ ...DEFAULT_POLICY, skillGroups: ['care', 'billing'] })).statusCode).toBe(200);
    expect((await post('/v1/route', { ...body, skillGroup: 'billing' })).json()).toMatchObject({ target: 'agent', level: 0 });
    expect((await post('/v1/route', { ...body, skillGroup: 'bling' })).statusCode).toBe(422);
    expect((await put({ ...DEFAULT_POLICY, unknownSkillGroups: 'tenant-level' })).statusCode).toBe(200);
    const g = (await post('/v1/route', { ...body, skillGroup: 'bling' })).json();
    expect(g).toMatchObject({ target: 'agent', level: 0 });
    expect(g.reason).toContain('skill group not tracked');
    expect(h.svc.stats().refusals['tenant-level']).toBe(1);
    const bad = await put({ ...DEFAULT_POLICY, unknownSkillGroups: 'keypad' });
    expect([bad.statusCode, bad.json().error.message]).toEqual([400, expect.stringContaining('unknownSkillGroups')]);
  });

  it('takes form-encoded bodies (the default of PBX HTTP functions), coerced by the schema, with the same errors', async () => {
    const form = (url: string, payload: string, who = 'acme:router') =>
      app.inject({ method: 'POST', url, payload, headers: { ...as(who), 'content-type': 'application/x-www-form-urlencoded' } });
    const r = await form(
      '/v1/route',
      'tenant=acme&callId=sip-1%40pbx&skillGroup=care&priority=vip&ivrTrajectory=menu&ivrTrajectory=billing',
    );
    expect([r.statusCode, r.json()]).toEqual([200, expect.objectContaining({ target: 'agent', ctiNode: 'a' })]);
    const bad = await form('/v1/route', 'tenant=acme&callId=x&skillGroup=care&priority=urgent');
    expect([bad.statusCode, bad.json().error.message]).toEqual([
      400,
      expect.stringMatching(/priority must be one of vip, high, normal, low/),
    ]);
    const id = r.json().decisionId as string;
    const ms = await form(`/v1/route/${id}/outcome`, 'outcome=connected&latencyMs=abc');
    expect([ms.statusCode, ms.json().error.message]).toEqual([400, expect.stringMatching(/latencyMs/)]);
    expect((await form(`/v1/route/${id}/outcome`, 'outcome=connected&latencyMs=180')).statusCode).toBe(204);
    expect((await form(`/v1/route/${id}/outcome`, 'outcome=connected&latencyMs=180')).statusCode).toBe(204);
    const legacy = (await form('/v1/route', 'tenant=acme&callId=sip-2&skillGroup=care&priority=normal')).json().decisionId as string;
    expect((await form(`/v1/route/${legacy}/outcome`, 'success=false&latencyMs=25')).statusCode).toBe(204);
    // Other control routes stay JSON only.
    const pin = await form('/v1/control/overrides', 'level=2&forMs=1000&reason=x', 'acme:admin');
    expect([pin.statusCode, pin.json().error.code]).toEqual([415, 'SLUICE_ERR_UNSUPPORTED_MEDIA_TYPE']);
    expect(h.svc.stats().outcomes).toMatchObject({ connected: 1, failed: 1, repeat: 1 });
  });

  it('lets only routers and admins route', async () => {
    expect((await post('/v1/route', body, 'acme:viewer')).statusCode).toBe(403);
    expect((await post('/v1/route', body, 'acme:admin')).statusCode).toBe(200);
  });
});

describe('POST /v1/route/:decisionId/outcome', () => {
  it('takes an outcome once (204); a repeat is 204 too, a conflicting one ignored and counted; other tenants and malformed input are refused', async () => {
    const { decisionId } = (await post('/v1/route', body)).json();
    expect((await post(`/v1/route/${decisionId}/outcome`, { outcome: 'connected', latencyMs: 12 }, 'globex:router')).statusCode).toBe(404);
    const ok = await post(`/v1/route/${decisionId}/outcome`, { outcome: 'connected', latencyMs: 12 });
    expect(ok.statusCode).toBe(204);
    expect(ok.body).toBe('');
    expect((await post(`/v1/route/${decisionId}/outcome`, { outcome: 'connected', latencyMs: 12 })).statusCode).toBe(204);
    expect((await post(`/v1/route/${decisionId}/outcome`, { outcome: 'failed', latencyMs: 3 })).statusCode).toBe(204);
    expect(h.svc.stats().outcomes).toMatchObject({ connected: 1, failed: 0, repeat: 1, conflict: 1 });
    expect(h.svc.state('acme').tenantBreakers.find((b) => b.target === 'cti:a')).toMatchObject({ calls: 1, errors: 0 });
    const gone = await post('/v1/route/0123456789-zz/outcome', { outcome: 'connected', latencyMs: 1 });
    expect([gone.statusCode, gone.json().error.code]).toEqual([404, 'SLUICE_ERR_NOT_FOUND']);
    expect((await post('/v1/route/bad id!/outcome', { outcome: 'timeout' })).statusCode).toBe(400);
    const other = (await post('/v1/route', { ...body, callId: 'c2' })).json().decisionId as string;
    const refused: [unknown, RegExp][] = [
      [{ outcome: 'connected', latencyMs: -1 }, /body\.latencyMs must be >= 0/],
      [{ outcome: 'connected', latencyMs: 3_600_001 }, /body\.latencyMs must be <= 3600000/],
      [
        { outcome: 'connected' },
        /body\.latencyMs is required for outcome connected: milliseconds from the proxy's send to the node's first answer/,
      ],
      [{ outcome: 'failed' }, /body\.latencyMs is required for outcome failed/],
      [{ outcome: 'answered', latencyMs: 1 }, /body\.outcome must be one of connected, failed, timeout, abandoned, not-attempted/],
      [{ latencyMs: 1 }, /body\.outcome is required/],
      [{ success: true }, /body\.latencyMs is required/],
      [{ success: true, outcome: 'connected', latencyMs: 1 }, /send one of them/],
      [{ outcome: 'timeout', extra: 1 }, /body\.extra is not allowed/],
    ];
    for (const [payload, message] of refused) {
      const r = await post(`/v1/route/${other}/outcome`, payload);
      expect([r.statusCode, r.json().error.message], JSON.stringify(payload)).toEqual([400, expect.stringMatching(message)]);
    }
    // None of those was taken: the decision still takes its outcome.
    expect((await post(`/v1/route/${other}/outcome`, { outcome: 'timeout' })).statusCode).toBe(204);
  });

  it('answers 404 once the decision has expired', async () => {
    const { decisionId } = (await post('/v1/route', body)).json();
    await runFor(h.clock, 61_000);
    expect((await post(`/v1/route/${decisionId}/outcome`, { outcome: 'failed', latencyMs: 3 })).statusCode).toBe(404);
  });
});

describe('GET /v1/control/state', () => {
  it('shows a tenant key its own levels and signals only; platform keys see every tenant; every role may read', async () => {
    const mine = await app.inject({ url: '/v1/control/state', headers: as('acme:agent') });
    expect(mine.statusCode).toBe(200);
    const s = mine.json();
    expect(new Set(s.levels.map((l: { tenant: string }) => l.tenant))).toEqual(new Set(['acme']));
    expect(s.signals.map((x: { tenant: string; skillGroup?: string }) => `${x.tenant}/${x.skillGroup ?? ''}`).sort()).toEqual([
      'acme/',
      'acme/care',
    ]);
    expect(s.breakers.map((b: { id: string }) => b.id)).toContain('cti:a');
    expect(s.shared).toMatchObject({ leader: true, reachable: true });
    expect((await app.inject({ url: '/v1/control/state?tenant=globex', headers: as('acme:viewer') })).statusCode).toBe(404);
    const all = (await app.inject({ url: '/v1/control/state', headers: as('*:viewer') })).json();
    expect(new Set(all.levels.map((l: { tenant: string }) => l.tenant))).toEqual(new Set(['acme', 'globex']));
    expect((await app.inject({ url: '/v1/control/state?tenant=BAD!', headers: as('*:viewer') })).statusCode).toBe(400);
  });
});

describe('policy routes', () => {
  const put = (payload: unknown, who = 'acme:admin') =>
    app.inject({ method: 'PUT', url: '/v1/control/policy', payload: payload as object, headers: as(who) });

  it('reads the default, publishes versions with an optimistic check, keeps the previous version, rolls back', async () => {
    const first = await app.inject({ url: '/v1/control/policy', headers: as('acme:viewer') });
    expect(first.json()).toMatchObject({ tenant: 'acme', current: null, previous: null, stale: false, effective: DEFAULT_POLICY });
    const v1 = await put({ policy: DEFAULT_POLICY, expectedVersion: 0 });
    expect([v1.statusCode, v1.json().current.version, v1.json().current.author]).toEqual([
      200,
      1,
      `key:${testPrincipal(app, 'acme:admin').keyId}`,
    ]);
    // The author is the credential's, never a name the body gives.
    const claimed = await put({ policy: DEFAULT_POLICY, expectedVersion: 1, author: 'ceo' });
    expect([claimed.statusCode, claimed.json().error.code, claimed.json().error.message]).toEqual([
      400,
      'SLUICE_ERR_CONTROL_REQUEST_INVALID',
      expect.stringContaining('body.author is not accepted'),
    ]);
    const claimedRollback = await app.inject({
      method: 'POST',
      url: '/v1/control/policy/rollback',
      payload: { author: 'ceo' },
      headers: as('acme:admin'),
    });
    expect(claimedRollback.statusCode).toBe(400);
    const stale = await put({ policy: DEFAULT_POLICY, expectedVersion: 0 });
    expect([stale.statusCode, stale.json().error.code]).toEqual([409, 'SLUICE_ERR_POLICY_VERSION_CONFLICT']);
    expect((await put({ policy: DEFAULT_POLICY, expectedVersion: 1 })).json().previous.version).toBe(1);
    const back = await app.inject({ method: 'POST', url: '/v1/control/policy/rollback', payload: {}, headers: as('acme:admin') });
    expect(back.json().current.version).toBe(3);
  });

  it('refuses invalid policies naming the field, other roles and tenants, and platform keys without a tenant', async () => {
    const bad = await put({
      policy: { levels: { ...DEFAULT_POLICY.levels, L2: { ...DEFAULT_POLICY.levels.L2, admission: { ratePerSec: -1, burst: 1 } } } },
    });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'SLUICE_ERR_POLICY_INVALID']);
    expect(bad.json().error.message).toContain('levels.L2.admission.ratePerSec');
    expect((await put({})).json().error.message).toMatch(/policy/);
    expect((await put({ policy: DEFAULT_POLICY }, 'acme:router')).statusCode).toBe(403);
    expect((await put({ tenant: 'globex', policy: DEFAULT_POLICY })).statusCode).toBe(404);
    const noTenant = await app.inject({ url: '/v1/control/policy', headers: as('*:admin') });
    expect([noTenant.statusCode, noTenant.json().error.code]).toEqual([400, 'SLUICE_ERR_CONTROL_REQUEST_INVALID']);
    expect((await put({ tenant: 'globex', policy: DEFAULT_POLICY }, '*:admin')).statusCode).toBe(200);
    const none = await app.inject({
      method: 'POST',
      url: '/v1/control/policy/rollback',
      payload: { tenant: 'acme' },
      headers: as('*:admin'),
    });
    expect([none.statusCode, none.json().error.code]).toEqual([409, 'SLUICE_ERR_POLICY_NO_PREVIOUS']);
  });
});

describe('overrides and forced breakers', () => {
  it('pins a level for a bounded time and clears it; bad input gets a 400', async () => {
    const pin = await post('/v1/control/overrides', { skillGroup: 'care', level: 2, forMs: 60_000, reason: 'storm' }, 'acme:admin');
    expect(pin.statusCode).toBe(201);
    expect(pin.json()).toMatchObject({ scope: { tenant: 'acme', skillGroup: 'care' }, level: 2 });
    expect((await post('/v1/route', body)).json().level).toBe(2);
    expect((await post('/v1/control/overrides', { level: 5, forMs: 1, reason: 'x' }, 'acme:admin')).json().error.message).toMatch(/level/);
    const long = await post('/v1/control/overrides', { level: 1, forMs: 10 * 3_600_000, reason: 'x' }, 'acme:admin');
    expect([long.statusCode, long.json().error.code]).toEqual([400, 'SLUICE_ERR_CONTROL_OVERRIDE_INVALID']);
    expect((await post('/v1/control/overrides', { level: 1, forMs: 1_000, reason: 'x' }, 'acme:router')).statusCode).toBe(403);
    const del = await app.inject({ method: 'DELETE', url: '/v1/control/overrides?skillGroup=care', headers: as('acme:admin') });
    expect(del.json()).toEqual({ cleared: true });
    const care = (await app.inject({ url: '/v1/control/state', headers: as('acme:viewer') }))
      .json()
      .levels.find((l: { skillGroup?: string }) => l.skillGroup === 'care');
    expect(care).toMatchObject({ level: 2, override: null });
  });

  it('forces breakers with expiry for platform admins only; unknown keys and missing durations are refused', async () => {
    expect((await post('/v1/control/breakers/cti:a/force', { mode: 'open', forMs: 60_000 }, 'acme:admin')).statusCode).toBe(403);
    const forced = await post('/v1/control/breakers/cti:a/force', { mode: 'open', forMs: 60_000, reason: 'maintenance' }, '*:admin');
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ id: 'cti:a', state: 'forced-open', until: h.clock.now() + 60_000 });
    expect((await post('/v1/route', body)).json().ctiNode).toBe('b');
    const missing = await post('/v1/control/breakers/cti:a/force', { mode: 'closed' }, '*:admin');
    expect([missing.statusCode, missing.json().error.message]).toEqual([400, expect.stringMatching(/forMs/)]);
    expect((await post('/v1/control/breakers/cti:nope/force', { mode: 'clear' }, '*:admin')).statusCode).toBe(404);
    expect((await post('/v1/control/breakers/cti:a/force', { mode: 'clear' }, '*:admin')).json().state).toBe('half-open');
  });
});
