/**
 * Per-tenant configuration across control instances (issue 16): a policy
 * version (CTI nodes, tuning) published over HTTP on one instance applies on
 * the other, and a trunk report sent to one reaches the leader's levels —
 * two ControlServices on a real redis-server, each behind its own routes.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import { RedisStateStore } from '../../adapters/state/redis.js';
import { controlRoutes } from '../../control/http/routes.js';
import { DEFAULT_POLICY } from '../../control/policy/defaults.js';
import { ControlService } from '../../control/service.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import { calm } from '../../control/testing/harness.js';
import { eventually } from '../../core/testing/eventually.js';
import { call, testServer } from '../support/server.js';

const TICK = 100;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

async function instance(
  url: string,
  prefix: string,
  view: StaticRealtimeView,
  id: string,
): Promise<{ svc: ControlService; app: FastifyInstance }> {
  const store = new RedisStateStore({ url, prefix });
  await store.ready();
  const svc = new ControlService({
    clock: systemClock,
    instanceId: id,
    stateStore: store,
    realtime: view,
    tickMs: TICK,
    leaseMs: 500,
    storeTimeoutMs: 150,
    tenants: ['acme'],
    loopLagMs: () => Number.NaN,
  });
  const app = await testServer((a) => a.register(controlRoutes, { service: svc, clock: systemClock, rateLimit: false }), {
    tenants: ['acme', '*'],
  });
  cleanup.push(async () => {
    await app.close();
    await svc.stop();
    await store.close();
  });
  await svc.start();
  return { svc, app };
}

describe('per-tenant control configuration on a real redis-server', () => {
  it('a policy PUT on one instance routes by its CTI nodes and tuning on the other; a trunk report on either reaches the levels', async () => {
    const url = inject('redisUrl');
    const prefix = `ctlpol-${randomUUID()}:`;
    const view = new StaticRealtimeView();
    const feed = setInterval(() => view.set([calm('acme', 'care', Date.now())]), 20);
    cleanup.push(async () => clearInterval(feed));
    view.set([calm('acme', 'care', Date.now())]);
    const a = await instance(url, prefix, view, 'one');
    const b = await instance(url, prefix, view, 'two');
    await eventually(() => [a, b].filter((x) => x.svc.state().shared.leader).length === 1, 'one leader', { timeoutMs: 10_000 });

    const route = async (x: typeof a, i: number) =>
      (await call(x.app, 'acme:router', 'POST', '/v1/route', { tenant: 'acme', callId: `c${i}`, skillGroup: 'care', priority: 'vip' }))
        .data;
    expect(await route(b, 0)).toMatchObject({ target: 'agent', ctiNode: 'cti-primary' });

    const bad = await call(a.app, 'acme:admin', 'PUT', '/v1/control/policy', {
      policy: { ...DEFAULT_POLICY, ctiNodes: [{ name: 'x', weight: 1, role: 'backup' }], tuning: { thresholds: [0.9, 0.5, 0.95] } },
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.data)).toMatch(
      /ctiNodes must name at least one node with role primary.*tuning\.thresholds must be three strictly increasing/,
    );

    const put = await call(a.app, 'acme:admin', 'PUT', '/v1/control/policy', {
      policy: {
        ...DEFAULT_POLICY,
        ctiNodes: [
          { name: 'sbc-east', weight: 1, role: 'primary' },
          { name: 'sbc-west', weight: 1, role: 'backup' },
        ],
        // A trunk at 0.9 alone is well past these thresholds.
        tuning: { thresholds: [0.05, 0.08, 0.1], hysteresis: 0.02, pressure: { weights: { trunk: 20 } } },
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.data).toMatchObject({ current: { version: 1, author: 'key:key#1' } });
    await eventually(async () => (await route(b, 1)).ctiNode === 'sbc-east', 'instance two routes to the new node', { timeoutMs: 10_000 });
    expect(b.svc.state('acme').breakers.map((x) => x.id)).toContain('cti:sbc-east');

    // The trunk report goes to the follower; the leader computes the level from it, and both route at it.
    const follower = a.svc.state().shared.leader ? b : a;
    const pushed = await call(follower.app, 'acme:router', 'PUT', '/v1/control/trunks', { trunk: 'sip-1', utilisation: 0.9 });
    expect(pushed.statusCode).toBe(200);
    expect(pushed.data).toMatchObject({ tenant: 'acme', trunk: 'sip-1', tenantUtilisation: 0.9 });
    await eventually(async () => (await route(a, 2)).level === 3 && (await route(b, 3)).level === 3, 'L3 on both from the trunk report', {
      timeoutMs: 5_000,
    });
    const trunks = await call(a.app, 'acme:viewer', 'GET', '/v1/control/trunks');
    expect(trunks.data).toMatchObject({ tenant: 'acme', utilisation: 0.9, trunks: [{ trunk: 'sip-1', utilisation: 0.9 }] });

    // Rolled back on the other instance: no tuning, no nodes of its own, everywhere.
    const rb = await call(b.app, 'acme:admin', 'POST', '/v1/control/policy/rollback', {});
    expect(rb.statusCode).toBe(409);
    const plain = await call(b.app, 'acme:admin', 'PUT', '/v1/control/policy', { policy: DEFAULT_POLICY, expectedVersion: 1 });
    expect(plain.statusCode).toBe(200);
    // Still at L3 (the trunk report holds): vip calls share the primary and the backup, so either deployment node counts.
    await eventually(
      async () => ['cti-primary', 'cti-backup'].includes(String((await route(a, 4)).ctiNode)),
      'instance one back on the deployment nodes',
      {
        timeoutMs: 10_000,
      },
    );
    const back = await call(a.app, 'acme:admin', 'POST', '/v1/control/policy/rollback', {});
    expect(back.data).toMatchObject({ current: { version: 3 } });
    await eventually(
      async () => ['sbc-east', 'sbc-west'].includes(String((await route(b, 5)).ctiNode)),
      'instance two on the rolled-back nodes',
      {
        timeoutMs: 10_000,
      },
    );
  });
});
