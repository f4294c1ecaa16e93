import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runFor, settle } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { DEFAULT_POLICY } from '../policy/defaults.js';
import type { TenantPolicy } from '../policy/schema.js';
import type { ControlService } from '../service.js';
import { FlakyStore, calm, harness, overloaded } from '../testing/harness.js';
import { StaticRealtimeView } from '../signals/snapshot.js';

const running: ControlService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

/** Two instances on one in-memory store (each through its own flaky wrapper) and one clock. */
async function fleet(over: Parameters<typeof harness>[0] = {}) {
  const clock = new ManualClock(1_000_000);
  const shared = new MemoryStateStore(clock);
  const view = new StaticRealtimeView([calm('acme', 'care', clock.now()), calm('globex', 'care', clock.now())]);
  const stores = [new FlakyStore(shared), new FlakyStore(shared)] as const;
  const [a, b] = stores.map((store, i) => harness({ ...over, clock, store, view, instanceId: `i${i}` }).svc) as [
    ControlService,
    ControlService,
  ];
  await a.start();
  await b.start();
  running.push(a, b);
  await settle();
  return { clock, view, stores, a, b };
}

const tenantLevel = (s: ControlService) => s.state('acme').levels.find((l) => l.skillGroup === undefined)?.level ?? 0;
const call = (i: number, priority: 'vip' | 'normal' = 'normal') => ({ tenant: 'acme', callId: `c${i}`, skillGroup: 'care', priority });

describe('control fleet on one store (virtual time)', () => {
  it('elects one leader, and the follower has the leader’s level within the same tick', async () => {
    const { clock, view, a, b } = await fleet();
    expect([a.state().shared.leader, b.state().shared.leader].filter(Boolean)).toHaveLength(1);
    for (let t = 0; t < 4; t++) {
      view.set([overloaded('acme', 'care', clock.now())]);
      await runFor(clock, 1_000);
      expect(tenantLevel(b)).toBe(tenantLevel(a));
    }
    expect(tenantLevel(a)).toBe(3);
  });

  it('a crashed leader is replaced within the lease, and the new leader carries on from the same level', async () => {
    const { clock, view, a, b } = await fleet();
    const [leader, follower] = a.state().shared.leader ? [a, b] : [b, a];
    for (let t = 0; t < 3; t++) {
      view.set([overloaded('acme', 'care', clock.now())]);
      await runFor(clock, 1_000);
    }
    expect(tenantLevel(follower)).toBe(3);
    await leader.stop({ crash: true });
    const crashedAt = clock.now();
    let tookOver = -1;
    for (let t = 0; t < 6 && tookOver < 0; t++) {
      view.set([overloaded('acme', 'care', clock.now())]);
      await runFor(clock, 1_000);
      if (follower.state().shared.leader) tookOver = clock.now() - crashedAt;
    }
    expect(tookOver).toBeGreaterThan(0);
    expect(tookOver).toBeLessThanOrEqual(3_000 + 1_000);
    expect(tenantLevel(follower)).toBe(3);
  });

  it('an orderly stop hands leadership over at the next tick', async () => {
    const { clock, a, b } = await fleet();
    const [leader, follower] = a.state().shared.leader ? [a, b] : [b, a];
    await leader.stop();
    await runFor(clock, 1_000);
    expect(follower.state().shared.leader).toBe(true);
  });

  it('a pin made on the follower reaches the leader and survives the leader’s next state', async () => {
    const { clock, a, b } = await fleet();
    const follower = a.state().shared.leader ? b : a;
    follower.pin({ tenant: 'acme' }, 2, 30_000, 'storm');
    await settle();
    await runFor(clock, 2_000);
    expect([tenantLevel(a), tenantLevel(b)]).toEqual([2, 2]);
  });

  it('shares breaker transitions both ways, and probes of a half-open trial stay within one fleet-wide budget', async () => {
    const { clock, a, b } = await fleet({ breakers: () => ({ probes: 2, probeSuccesses: 2, openBaseMs: 2_000, jitter: 0 }) });
    a.force('cti:a', 'open', 2_000, 'maintenance');
    await settle();
    expect(b.state().breakers.find((x) => x.id === 'cti:a')).toMatchObject({ state: 'forced-open', until: clock.now() + 2_000 });
    await runFor(clock, 2_000);
    const probes: boolean[] = [];
    a.on('decision', (e) => e.ctiNode === 'a' && probes.push(e.probe));
    b.on('decision', (e) => e.ctiNode === 'a' && probes.push(e.probe));
    for (let i = 0; i < 30; i++) {
      a.route(call(i));
      b.route(call(100 + i));
      await settle(2);
    }
    expect(probes.filter(Boolean)).toHaveLength(2);
    b.force('channel:chat', 'open', 60_000, 'chat vendor down');
    await settle();
    expect(a.state().breakers.find((x) => x.id === 'channel:chat')?.state).toBe('forced-open');
  });

  it("shares tenant breakers too: one tenant's failures on one instance keep its calls away on the other; a second tenant's open the fleet breaker everywhere", async () => {
    const { a, b } = await fleet({
      tenants: ['acme', 'globex'],
      ctiNodes: { primary: 'a' },
      breakers: () => ({ errorCount: 3, jitter: 0 }),
    });
    const fail = (s: ControlService, tenant: string) => {
      for (let i = 0; i < 3; i++) {
        const d = s.route({ tenant, callId: `${tenant}-${i}`, skillGroup: 'care', priority: 'vip' });
        s.outcome(d.decisionId, { success: false, latencyMs: 20 });
      }
    };
    fail(a, 'acme');
    await settle();
    expect(b.state('acme').tenantBreakers.find((x) => x.target === 'cti:a')?.state).toBe('open');
    expect(b.route({ ...call(1, 'vip') }).target).not.toBe('agent');
    expect(b.route({ tenant: 'globex', callId: 'g', skillGroup: 'care', priority: 'vip' })).toMatchObject({
      target: 'agent',
      ctiNode: 'a',
    });
    expect([a, b].map((s) => s.state().breakers.find((x) => x.id === 'cti:a')?.state)).toEqual(['closed', 'closed']);
    fail(b, 'globex');
    await settle();
    expect([a, b].map((s) => s.state().breakers.find((x) => x.id === 'cti:a')?.state)).toEqual(['open', 'open']);
  });

  it('a policy published on one instance routes on the other', async () => {
    const { a, b } = await fleet();
    const noSmart = { levels: { ...DEFAULT_POLICY.levels, L1: { ...DEFAULT_POLICY.levels.L1, targets: ['agent', 'chat'] } } };
    a.pin({ tenant: 'acme' }, 1, 60_000, 'test');
    await settle();
    expect(b.route({ ...call(1), priority: 'low' } as never).target).toBe('smart_ivr');
    await a.putPolicy('acme', noSmart, { expectedVersion: 0 });
    await settle();
    expect(b.route({ ...call(2), priority: 'low' } as never).target).toBe('chat');
    await expect(b.putPolicy('acme', noSmart, { expectedVersion: 0 })).rejects.toMatchObject({ status: 409 });
  });

  it('store down: both keep deciding from local state; store back: followers reconcile to the leader', async () => {
    const { clock, view, stores, a, b } = await fleet();
    const [leader, follower] = a.state().shared.leader ? [a, b] : [b, a];
    for (const s of stores) s.down = true;
    view.set([overloaded('acme', 'care', clock.now())]);
    await runFor(clock, 1_000);
    expect([a.state().shared.reachable, b.state().shared.reachable]).toEqual([false, false]);
    expect([tenantLevel(a), tenantLevel(b)]).toEqual([1, 1]);
    expect(a.route(call(1)).target).toBe('agent');
    expect(b.route(call(2)).target).toBe('agent');
    follower.force('channel:chat', 'open', 60_000, 'seen during the outage');
    leader.pin({ tenant: 'acme', skillGroup: 'care' }, 3, 60_000, 'pinned during the outage');
    await expect(leader.putPolicy('acme', DEFAULT_POLICY, {})).rejects.toMatchObject({
      code: 'SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE',
      status: 503,
    });
    view.set([calm('acme', 'care', clock.now())]);
    for (const s of stores) s.down = false;
    await runFor(clock, 1_000);
    expect([a.state().shared.reachable, b.state().shared.reachable]).toEqual([true, true]);
    expect(leader.state().breakers.find((x) => x.id === 'channel:chat')?.state).toBe('forced-open');
    const group = (s: ControlService) => s.state('acme').levels.find((l) => l.skillGroup === 'care');
    expect(group(follower)).toMatchObject({ level: 3, override: expect.objectContaining({ level: 3 }) });
    expect(tenantLevel(follower)).toBe(tenantLevel(leader));
  });

  it('shares the admission budget: two instances with equal demand admit about the policy rate together', async () => {
    const policy: TenantPolicy = {
      levels: { ...DEFAULT_POLICY.levels, L2: { ...DEFAULT_POLICY.levels.L2, admission: { ratePerSec: 10, burst: 10 } } },
    };
    const { clock, a, b } = await fleet({ limiter: { initialLimit: 1_000, maxLimit: 1_000 } });
    await a.putPolicy('acme', policy, {});
    a.pin({ tenant: 'acme' }, 2, 600_000, 'test');
    await settle();
    const admittedPerSecond: number[] = [];
    for (let sec = 0; sec < 12; sec++) {
      let admitted = 0;
      for (let i = 0; i < 20; i++) {
        clock.advance(50);
        await settle(2);
        for (const s of [a, b]) {
          const d = s.route(call(sec * 100 + i, 'vip'));
          s.outcome(d.decisionId, { success: true, latencyMs: 5 });
          if (d.target === 'agent') admitted += 1;
        }
      }
      admittedPerSecond.push(admitted);
    }
    const steady = admittedPerSecond.slice(4);
    const mean = steady.reduce((x, y) => x + y, 0) / steady.length;
    expect(admittedPerSecond[0]).toBeGreaterThan(15);
    expect(mean).toBeGreaterThan(7);
    expect(mean).toBeLessThan(13.5);
  });
});
