/**
 * Outcomes on any control instance (issue 16), as deployed: two control
 * instances built by `createControl`, each with its own connection to the real
 * redis-server and its own HTTP app, one fleet secret. A route decided on one
 * takes its outcome on the other.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import { seededRandom } from '../../adapters/random.js';
import { RedisStateStore } from '../../adapters/state/redis.js';
import { eventually } from '../../core/testing/eventually.js';
import { controlRoutes } from '../../control/http/routes.js';
import { calm } from '../../control/testing/harness.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import { createControl } from '../../control/wire.js';
import type { Control } from '../../control/wire.js';
import { call, testServer } from '../support/server.js';

const SECRET = `outcomes-test-secret-${randomUUID()}`;
/** The same keys on both instances, as a deployment configures them. */
const KEYS = {
  acme: { tenant: 'acme', role: 'router', key: `acme-router-${randomUUID()}` },
  globex: { tenant: 'globex', role: 'router', key: `globex-router-${randomUUID()}` },
  platform: { tenant: '*', role: 'router', key: `platform-router-${randomUUID()}` },
} as const;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

interface Instance {
  readonly control: Control;
  readonly app: FastifyInstance;
  stop(): Promise<void>;
}

async function instance(url: string, prefix: string, view: StaticRealtimeView, name: string): Promise<Instance> {
  const store = new RedisStateStore({ url, prefix });
  await store.ready();
  const control = createControl({
    clock: systemClock,
    stateStore: store,
    realtime: view,
    engineHealth: { consumerLagMs: () => 0, insertLatencyMs: () => 0 },
    instanceId: name,
    tenants: ['acme', 'globex'],
    rateLimit: false,
    ctiNodes: { primary: 'a', backup: 'b' },
    tuning: {
      decisionKey: SECRET,
      tickMs: 200,
      leaseMs: 1_000,
      limiter: { initialLimit: 4, minLimit: 4, maxLimit: 4 },
      loopLagMs: () => Number.NaN,
      // The client-side throttle spills at random: seeded, so a failure replays.
      random: seededRandom(name === 'ctl-a' ? 11 : 12),
    },
  });
  const app = await testServer((a) => a.register(controlRoutes, control.routes), { tenants: [], keys: KEYS });
  await control.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await control.stop();
    await store.close();
  };
  cleanup.push(stop);
  return { control, app, stop };
}

async function fleet() {
  const url = inject('redisUrl');
  const prefix = `outc-${randomUUID()}:`;
  const view = new StaticRealtimeView();
  const feed = setInterval(() => view.set([calm('acme', 'care', Date.now()), calm('globex', 'sales', Date.now())]), 50);
  view.set([calm('acme', 'care', Date.now()), calm('globex', 'sales', Date.now())]);
  cleanup.push(async () => clearInterval(feed));
  return { a: await instance(url, prefix, view, 'ctl-a'), b: await instance(url, prefix, view, 'ctl-b') };
}

const route = async (i: Instance, n: number, key = 'acme', tenant = 'acme') => {
  const res = await call(i.app, key, 'POST', '/v1/route', {
    tenant,
    callId: `call-${n}`,
    skillGroup: tenant === 'acme' ? 'care' : 'sales',
    priority: 'vip',
  });
  expect(res.statusCode).toBe(200);
  return res.data as { decisionId: string; target: string };
};
const outcome = (i: Instance, id: string, key = 'acme', success = true) =>
  call(i.app, key, 'POST', `/v1/route/${encodeURIComponent(id)}/outcome`, { success, latencyMs: 40 });
const agentsInFlight = (i: Instance) =>
  i.control.service
    .state('acme')
    .admission.limits.filter((l) => l.tenant === 'acme' && l.key.startsWith('cti:'))
    .reduce((n, l) => n + l.inflight, 0);

describe('route outcomes on any control instance (Redis)', () => {
  it("takes on B the outcomes of A's decisions (204), releases A's slots so the tenant gets agents again, and counts duplicates once", async () => {
    const { a, b } = await fleet();
    const first = [];
    for (let n = 0; n < 12; n++) first.push(await route(a, n));
    const held = first.filter((d) => d.target === 'agent').length;
    expect(held).toBeGreaterThanOrEqual(4);
    expect(agentsInFlight(a)).toBe(held);
    const jammed = await route(a, 50);
    expect(jammed.target).not.toBe('agent');
    for (const d of [...first, jammed]) expect((await outcome(b, d.decisionId)).statusCode).toBe(204);
    await eventually(() => agentsInFlight(a) === 0, "A's agent slots released by outcomes taken on B");
    const more = [];
    for (let n = 100; n < 112; n++) more.push(await route(a, n));
    // How many get agents again depends on the client-side throttle (it spills from the primary at random while the
    // primary has no accepts in its window) and on the limiters' contention shares (for a second after a limit is
    // reached, vip may use only ⌊limit − the other classes' unused guarantees⌋ = 2 of a node's 4 slots): at least 2,
    // each holding a slot again.
    const agents = more.filter((d) => d.target === 'agent').length;
    expect(agents, JSON.stringify(more.map((d) => d.target))).toBeGreaterThanOrEqual(2);
    expect(agentsInFlight(a)).toBe(agents);
    expect(a.control.service.stats().remoteOutcomes.applied).toBe(13);

    // The proxy sends one again, to B and to A: answered 204 (a retry is safe), counted once.
    expect((await outcome(b, first[0]!.decisionId)).statusCode).toBe(204);
    expect((await outcome(a, first[0]!.decisionId)).statusCode).toBe(204);
    expect(b.control.service.stats().remoteOutcomes.duplicate).toBe(1);
    expect(a.control.service.stats().outcomes.repeat).toBe(1);
    expect(a.control.service.stats().remoteOutcomes.applied).toBe(13);
  });

  it("refuses another tenant's outcome and forged ids with 404; a platform key may report any tenant's", async () => {
    const { a, b } = await fleet();
    const d = await route(a, 1);
    expect((await outcome(b, d.decisionId, 'globex')).statusCode).toBe(404);
    expect((await outcome(a, d.decisionId, 'globex')).statusCode).toBe(404);
    const forged = [d.decisionId.replace('.acme.', '.globex.'), `${d.decisionId.slice(0, -2)}zz`, `ffffffffff${d.decisionId.slice(10)}`];
    for (const id of forged) {
      const res = await outcome(b, id, 'platform');
      expect(res.statusCode, id).toBe(404);
    }
    expect(b.control.service.stats().remoteOutcomes.refused).toBe(forged.length + 1);
    expect((await outcome(b, d.decisionId, 'platform')).statusCode).toBe(204);
  });

  it('feeds the breaker on B when A has stopped (the evidence counts; the slot died with A)', async () => {
    const { a, b } = await fleet();
    const ds = [];
    for (let n = 0; n < 5; n++) ds.push(await route(a, n));
    await a.stop();
    for (const d of ds) expect((await outcome(b, d.decisionId, 'acme', false)).statusCode).toBe(204);
    expect(b.control.service.stats().remoteOutcomes.orphaned).toBe(5);
    const own = b.control.service.state('acme').tenantBreakers.filter((t) => t.tenant === 'acme' && t.target.startsWith('cti:'));
    expect(own.reduce((n, t) => n + t.errors, 0)).toBe(5);
    expect((await outcome(b, ds[0]!.decisionId, 'acme', false)).statusCode).toBe(204);
    expect(b.control.service.state('acme').tenantBreakers.reduce((n, t) => n + (t.target.startsWith('cti:') ? t.errors : 0), 0)).toBe(5);
  });

  it('carries the outcome kind to the deciding instance: a time-out reported on B (form-encoded) is a failure without latency on A; a conflicting repeat is ignored', async () => {
    const { a, b } = await fleet();
    const d = await route(a, 1);
    expect(d.target).toBe('agent');
    const form = await b.app.inject({
      method: 'POST',
      url: `/v1/route/${encodeURIComponent(d.decisionId)}/outcome`,
      headers: { authorization: `Bearer ${KEYS.acme.key}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'outcome=timeout',
    });
    expect(form.statusCode, form.body).toBe(204);
    await eventually(() => a.control.service.stats().outcomes.timeout === 1, 'the time-out applied on A');
    const own = () => a.control.service.state('acme').tenantBreakers.find((t) => t.target.startsWith('cti:') && t.calls > 0);
    expect(own()).toMatchObject({ calls: 1, errors: 1 });
    expect(agentsInFlight(a)).toBe(0);
    // The proxy then says connected for the same call, to A: ignored (204), counted as a conflict.
    const conflicting = await call(a.app, 'acme', 'POST', `/v1/route/${encodeURIComponent(d.decisionId)}/outcome`, {
      outcome: 'connected',
      latencyMs: 80,
    });
    expect(conflicting.statusCode).toBe(204);
    expect(a.control.service.stats().outcomes).toMatchObject({ timeout: 1, connected: 0, conflict: 1 });
    expect(own()).toMatchObject({ calls: 1, errors: 1 });
    // An abandoned call says nothing about the node.
    const e = await route(a, 2);
    expect(
      (await call(b.app, 'acme', 'POST', `/v1/route/${encodeURIComponent(e.decisionId)}/outcome`, { outcome: 'abandoned' })).statusCode,
    ).toBe(204);
    await eventually(() => a.control.service.stats().outcomes.abandoned === 1, 'the abandoned call applied on A');
    expect(own()).toMatchObject({ calls: 1, errors: 1 });
  });
});
