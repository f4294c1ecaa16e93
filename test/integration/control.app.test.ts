import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';

const ROUTER = 'ctl-acme-router-key-00001';
const ADMIN = 'ctl-acme-admin-key-000001';
const VIEWER = 'ctl-acme-viewer-key-00001';

describe('control API wired into the app (embedded defaults)', () => {
  let sluice: Sluice;
  beforeAll(async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ROUTER}:acme:router,${ADMIN}:acme:admin,${VIEWER}:acme:viewer`,
      SLUICE_TENANTS: 'acme',
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `ctlapp_${process.pid}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  });
  afterAll(async () => {
    await sluice?.close();
  });

  it('refuses a skill group the tenant does not know (422 naming it) until its policy declares it', async () => {
    const ask = () =>
      sluice.app.inject({
        method: 'POST',
        url: '/v1/route',
        headers: { 'x-api-key': ROUTER },
        payload: { tenant: 'acme', callId: 'c-0', skillGroup: 'sales', priority: 'normal' },
      });
    const refused = await ask();
    expect([refused.statusCode, refused.json().error.code, refused.json().error.field]).toEqual([
      422,
      'SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP',
      'body.skillGroup',
    ]);
    const policy = (await sluice.app.inject({ url: '/v1/control/policy', headers: { 'x-api-key': ADMIN } })).json().effective;
    const put = await sluice.app.inject({
      method: 'PUT',
      url: '/v1/control/policy',
      headers: { 'x-api-key': ADMIN },
      payload: { policy: { ...policy, skillGroups: ['sales'] } },
    });
    expect(put.statusCode, put.body).toBe(200);
    const answered = await ask();
    expect(answered.statusCode, answered.body).toBe(200);
    await sluice.app.inject({
      method: 'POST',
      url: `/v1/route/${answered.json().decisionId}/outcome`,
      headers: { 'x-api-key': ROUTER, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'outcome=not-attempted',
    });
    expect(await sluice.metrics.registry.getSingleMetricAsString('sluice_route_refusals_total')).toContain(
      'sluice_route_refusals_total{reason="unknown_skill_group"} 1',
    );
  });

  it('describes the route and outcome calls in /openapi.json as they are answered: bodies, units, both media types, every status', async () => {
    const doc = (await sluice.app.inject({ url: '/openapi.json', headers: { 'x-api-key': VIEWER } })).json();
    const route = doc.paths['/v1/route'].post;
    const outcome = doc.paths['/v1/route/{decisionId}/outcome'].post;
    expect(Object.keys(route.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(Object.keys(outcome.requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(Object.keys(route.responses).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '422', '429']);
    expect(Object.keys(outcome.responses).sort()).toEqual(['204', '400', '401', '403', '404', '413', '415', '429', '503']);
    expect(outcome.responses['200']).toBeUndefined();
    const body = outcome.requestBody.content['application/json'].schema.properties;
    expect(body.outcome.enum).toEqual(['connected', 'failed', 'timeout', 'abandoned', 'not-attempted']);
    expect(body.latencyMs.description).toMatch(/Milliseconds from the proxy's own send to the node's first answer/);
    expect(route.summary).toBe('Where does this call go?');
    expect(route.responses['200'].content['application/json'].schema.properties.target.description).toMatch(/keypad_ivr/);
  });

  it('routes a call, takes its outcome, shows the state, and counts the decision in /metrics', async () => {
    const r = await sluice.app.inject({
      method: 'POST',
      url: '/v1/route',
      headers: { 'x-api-key': ROUTER },
      payload: { tenant: 'acme', callId: 'c-1', skillGroup: 'sales', priority: 'normal' },
    });
    expect(r.statusCode, r.body).toBe(200);
    const d = r.json();
    expect(d).toMatchObject({ target: 'agent', level: 0 });
    expect(typeof d.decisionId).toBe('string');
    const o = await sluice.app.inject({
      method: 'POST',
      url: `/v1/route/${d.decisionId}/outcome`,
      headers: { 'x-api-key': ROUTER },
      payload: { success: true, latencyMs: 120 },
    });
    expect(o.statusCode).toBe(204);
    const state = await sluice.app.inject({ url: '/v1/control/state', headers: { 'x-api-key': VIEWER } });
    expect(state.statusCode).toBe(200);
    expect(state.json()).toHaveProperty('breakers');
    const denied = await sluice.app.inject({
      method: 'POST',
      url: '/v1/route',
      headers: { 'x-api-key': VIEWER },
      payload: { tenant: 'acme', callId: 'c-2', skillGroup: 'sales', priority: 'normal' },
    });
    expect(denied.statusCode).toBe(403);
    const bad = await sluice.app.inject({
      method: 'POST',
      url: '/v1/route',
      headers: { 'x-api-key': ROUTER },
      payload: { tenant: 'acme', skillGroup: 'sales', priority: 'normal' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('body.callId');
    const text = await sluice.metrics.registry.getSingleMetricAsString('sluice_route_decisions_total');
    expect(text).toContain('sluice_route_decisions_total{tenant="acme",target="agent",level="0"} 2');
    expect(await sluice.metrics.registry.getSingleMetricAsString('sluice_route_outcomes_total')).toContain(
      'sluice_route_outcomes_total{tenant="acme",target="agent",result="connected"} 1',
    );
  });
});
