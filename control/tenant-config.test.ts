/**
 * What a deployment configures per tenant (issue 16): CTI nodes and level
 * tuning in the versioned policy, the wait target from the service-level
 * setting, and the trunk utilisation feed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runFor } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { isSluiceError } from '../core/errors.js';
import type { QueueSnapshot } from '../core/messages.js';
import { DEFAULT_POLICY } from './policy/defaults.js';
import { calm, harness } from './testing/harness.js';
import type { Harness } from './testing/harness.js';
import { StaticRealtimeView } from './signals/snapshot.js';
import { createControl } from './wire.js';

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.svc.stop();
});

async function started(over: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = harness({ tenants: ['acme', 'globex'], ...over });
  running.push(h);
  h.view.set([calm('acme', 'care', h.clock.now()), calm('globex', 'sales', h.clock.now())]);
  await h.svc.start();
  return h;
}

/** Some queueing: a pressure of about 0.47 with the default weights (L1 at the harness' 0.3/0.5/0.7). */
function busy(tenant: string, skillGroup: string, asOf: number): QueueSnapshot {
  return { ...calm(tenant, skillGroup, asOf), callsWaiting: 6, longestWaitMs: 30_000, agentsAvailable: 0, agentsBusy: 10 };
}

const tenantLevel = (h: Harness, tenant: string) => h.svc.state(tenant).levels.find((l) => l.skillGroup === undefined);
const policy = (extra: object) => ({ ...structuredClone(DEFAULT_POLICY), ...extra });

async function ticks(h: Harness, n: number, feed: (t: number) => QueueSnapshot[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    h.view.set(feed(h.clock.now()));
    await runFor(h.clock, 1_000);
  }
}

describe('per-tenant tuning in the policy', () => {
  it("a tenant's thresholds change its level transitions, and a rollback restores the deployment's", async () => {
    const h = await started();
    const load = (t: number) => [busy('acme', 'care', t), busy('globex', 'sales', t)];
    await h.svc.putPolicy('acme', policy({}), { author: 'ops' });
    await ticks(h, 4, load);
    expect(tenantLevel(h, 'acme')?.level).toBe(1);
    expect(tenantLevel(h, 'globex')?.level).toBe(1);
    await h.svc.putPolicy('acme', policy({ tuning: { thresholds: [0.15, 0.25, 0.35], hysteresis: 0.05 } }), { author: 'ops' });
    await ticks(h, 4, load);
    expect(tenantLevel(h, 'acme')).toMatchObject({ level: 3 });
    expect(tenantLevel(h, 'acme')?.reason).toMatch(/≥ L3 threshold 0\.35/);
    expect(tenantLevel(h, 'globex')?.level).toBe(1);
    // Back to the deployment's thresholds: acme comes down to L1 one hold (5 s) per step.
    expect((await h.svc.rollbackPolicy('acme', { author: 'ops' })).current.version).toBe(3);
    expect((await h.svc.policy('acme')).effective).not.toHaveProperty('tuning');
    await ticks(h, 14, load);
    // From L3 to L2 after one hold; then 0.47 stays above L2's exit (0.5 − 0.1 hysteresis), so L2 holds.
    expect(tenantLevel(h, 'acme')).toMatchObject({ level: 2, reason: expect.stringMatching(/< 0\.60 \(L3 threshold − hysteresis\)/) });
  });

  it('a longer hold in the tenant tuning slows only its recovery', async () => {
    const h = await started();
    const over = (t: number) => [busy('acme', 'care', t), busy('globex', 'sales', t)];
    await h.svc.putPolicy('globex', policy({ tuning: { thresholds: [0.15, 0.25, 0.35], hysteresis: 0.05 } }), {});
    await h.svc.putPolicy('acme', policy({ tuning: { thresholds: [0.15, 0.25, 0.35], hysteresis: 0.05, holdMs: 20_000 } }), {});
    await ticks(h, 4, over);
    expect([tenantLevel(h, 'acme')?.level, tenantLevel(h, 'globex')?.level]).toEqual([3, 3]);
    await ticks(h, 8, (t) => [calm('acme', 'care', t), calm('globex', 'sales', t)]);
    // globex (5 s hold) has stepped down; acme (20 s hold) has not yet.
    expect(tenantLevel(h, 'globex')?.level).toBeLessThan(3);
    expect(tenantLevel(h, 'acme')?.level).toBe(3);
  });
});

describe('CTI nodes in the policy', () => {
  it('routes to the named nodes, gives them breakers, and fails over to the backup by name', async () => {
    const h = await started({ breakers: () => ({ errorCount: 3, jitter: 0 }) });
    const nodes = [
      { name: 'sbc-east', weight: 1, role: 'primary' },
      { name: 'sbc-west', weight: 1, role: 'backup' },
    ];
    await h.svc.putPolicy('acme', policy({ ctiNodes: nodes }), { author: 'ops' });
    const call = (tenant: string, i: number) =>
      h.svc.route({ tenant, callId: `c${i}`, skillGroup: tenant === 'acme' ? 'care' : 'sales', priority: 'normal' });
    expect(call('acme', 1)).toMatchObject({
      target: 'agent',
      ctiNode: 'sbc-east',
      reason: 'L0: normal → agent via primary CTI sbc-east (policy)',
    });
    // Another tenant keeps the deployment's nodes.
    expect(call('globex', 1)).toMatchObject({ ctiNode: 'a' });
    const state = h.svc.state('acme');
    expect(state.breakers.map((b) => b.id)).toEqual(expect.arrayContaining(['cti:sbc-east', 'cti:sbc-west', 'cti:a']));
    expect(state.tenantBreakers.filter((b) => b.target.startsWith('cti:sbc')).map((b) => b.id)).toEqual([
      'cti:sbc-east@acme',
      'cti:sbc-west@acme',
    ]);
    // The primary fails; the backup answers (the client-side throttle spills some calls to it before the breaker opens).
    const spilled: string[] = [];
    for (let i = 0; i < 500 && h.svc.breaker('cti:sbc-east@acme')?.state !== 'open'; i++) {
      const d = call('acme', 10 + i);
      if (d.ctiNode === 'sbc-west') spilled.push(d.reason);
      h.svc.outcome(d.decisionId, { success: d.ctiNode !== 'sbc-east', latencyMs: 20 });
    }
    for (const r of spilled) expect(r).toMatch(/via primary CTI sbc-east|spilled from primary/);
    expect(h.svc.breaker('cti:sbc-east@acme')?.state).toBe('open');
    expect(call('acme', 99)).toMatchObject({
      ctiNode: 'sbc-west',
      reason: 'L0: normal → agent via backup CTI sbc-west (primary sbc-east unavailable) (policy)',
    });
    expect(call('globex', 99)).toMatchObject({ ctiNode: 'a' });
    // The operator forces the node by its name, fleet-wide.
    h.svc.force('cti:sbc-west', 'open', 60_000, 'maintenance');
    expect(call('acme', 100)).toMatchObject({ target: 'smart_ivr' });
  });

  it('splits calls among primaries by weight', async () => {
    const h = await started();
    const nodes = [
      { name: 'p1', weight: 3, role: 'primary' },
      { name: 'p2', weight: 1, role: 'primary' },
      { name: 'bk', weight: 5, role: 'backup' },
    ];
    await h.svc.putPolicy('acme', policy({ ctiNodes: nodes }), {});
    const seen = new Map<string, number>();
    for (let i = 0; i < 800; i++) {
      const d = h.svc.route({ tenant: 'acme', callId: `call-${i}`, skillGroup: 'care', priority: 'vip' });
      h.svc.outcome(d.decisionId, { success: true, latencyMs: 20 });
      seen.set(d.ctiNode ?? d.target, (seen.get(d.ctiNode ?? d.target) ?? 0) + 1);
    }
    // L0 keeps the backup on standby; the primaries share 3:1.
    expect(seen.get('bk')).toBeUndefined();
    expect(seen.get('p1')! / 800).toBeGreaterThan(0.65);
    expect(seen.get('p1')! / 800).toBeLessThan(0.85);
    expect(seen.get('p1')! + seen.get('p2')!).toBe(800);
  });
});

describe('wait target', () => {
  const waiting = (t: number) => [{ ...calm('acme', 'care', t), longestWaitMs: 30_000 }];

  async function pressureWith(over: Parameters<typeof harness>[0]): Promise<number> {
    const h = await started(over);
    await ticks(h, 2, waiting);
    return tenantLevel(h, 'acme')!.pressure!;
  }

  it('follows serviceLevelMs: a 30 s longest wait is full pressure against 10 s and none against 60 s', async () => {
    const tight = await pressureWith({ serviceLevelMs: 10_000 });
    const loose = await pressureWith({ serviceLevelMs: 60_000 });
    // longestWait has weight 3 of 12 (the components present): ramp(30 s, 10 s, 30 s) = 1 against ramp(30 s, 60 s, 180 s) = 0.
    expect(tight - loose).toBeCloseTo(3 / 12, 2);
  });

  it('follows each tenant’s own threshold (serviceLevelMsOf): the same 30 s wait is full pressure at 10 s, none at 60 s', async () => {
    const h = await started({
      serviceLevelMs: 20_000,
      serviceLevelMsOf: (t) => (t === 'acme' ? 10_000 : t === 'globex' ? 60_000 : 20_000),
    });
    await ticks(h, 2, (t) => [...waiting(t), { ...calm('globex', 'care', t), longestWaitMs: 30_000 }]);
    expect(tenantLevel(h, 'acme')!.pressure! - tenantLevel(h, 'globex')!.pressure!).toBeCloseTo(3 / 12, 2);
    // A policy's own tuning still wins over the tenant's threshold.
    await h.svc.putPolicy('acme', policy({ tuning: { pressure: { targetWaitMs: 60_000 } } }), {});
    await ticks(h, 2, (t) => [...waiting(t), { ...calm('globex', 'care', t), longestWaitMs: 30_000 }]);
    expect(tenantLevel(h, 'acme')!.pressure!).toBeCloseTo(tenantLevel(h, 'globex')!.pressure!, 2);
  });

  it("a tenant's tuning.pressure.targetWaitMs overrides the setting", async () => {
    const h = await started({ serviceLevelMs: 10_000 });
    await ticks(h, 2, waiting);
    const before = tenantLevel(h, 'acme')!.pressure!;
    await h.svc.putPolicy('acme', policy({ tuning: { pressure: { targetWaitMs: 60_000 } } }), {});
    await ticks(h, 2, waiting);
    expect(before - tenantLevel(h, 'acme')!.pressure!).toBeCloseTo(3 / 12, 2);
  });

  it('reaches the service through createControl', async () => {
    const clock = new ManualClock(1_000_000);
    const read = async (serviceLevelMs: number, serviceLevelMsOf?: (tenant: string) => number) => {
      const c = createControl({
        ...(serviceLevelMsOf && { serviceLevelMsOf }),
        clock,
        stateStore: new MemoryStateStore(clock),
        realtime: new StaticRealtimeView(waiting(clock.now())),
        engineHealth: { consumerLagMs: () => Number.NaN, insertLatencyMs: () => Number.NaN },
        instanceId: 'w',
        serviceLevelMs,
        rateLimit: false,
        tuning: { loopLagMs: () => Number.NaN },
      });
      await c.start();
      const p = c.service.state('acme').levels.find((l) => l.skillGroup === undefined)!.pressure!;
      await c.stop();
      return p;
    };
    expect((await read(10_000)) - (await read(60_000))).toBeCloseTo(3 / 12, 2);
    // acme's own 10 s threshold over the deployment's 60 s.
    expect((await read(60_000, (t) => (t === 'acme' ? 10_000 : 60_000))) - (await read(60_000))).toBeCloseTo(3 / 12, 2);
  });
});

describe('trunk utilisation feed', () => {
  it('a report raises the pressure of every scope of its tenant only, and stops counting after the TTL', async () => {
    const h = await started({ trunks: { ttlMs: 10_000 } });
    await ticks(h, 1, (t) => [calm('acme', 'care', t), calm('globex', 'sales', t)]);
    const before = tenantLevel(h, 'acme')!.pressure!;
    const r = await h.svc.reportTrunk('acme', 'sip-1', 0.99, h.clock.now());
    expect(r).toMatchObject({ tenant: 'acme', trunk: 'sip-1', trunks: 1, tenantUtilisation: 0.99, expiresAt: h.clock.now() + 10_000 });
    await h.svc.reportTrunk('acme', 'sip-2', 0.5);
    await ticks(h, 1, (t) => [calm('acme', 'care', t), calm('globex', 'sales', t)]);
    const sig = h.svc.state('acme').signals.find((s) => s.skillGroup === 'care')!.signals;
    expect(sig.trunkUtilisation).toBe(0.99);
    expect(tenantLevel(h, 'acme')!.pressure!).toBeGreaterThan(before + 0.05);
    expect(h.svc.state('globex').signals.every((s) => s.signals.trunkUtilisation === undefined)).toBe(true);
    expect(h.svc.trunkReadings('acme')).toMatchObject({ utilisation: 0.99, ttlMs: 10_000 });
    await ticks(h, 10, (t) => [calm('acme', 'care', t), calm('globex', 'sales', t)]);
    expect(h.svc.state('acme').signals.every((s) => s.signals.trunkUtilisation === undefined)).toBe(true);
    expect(tenantLevel(h, 'acme')!.pressure!).toBeCloseTo(before, 3);
    expect(h.svc.trunkReadings('acme').trunks).toEqual([]);
  });

  it('bounds the trunks of a tenant, refuses stale reports, and frees the place of a silent trunk', async () => {
    const h = await started({ trunks: { ttlMs: 10_000, maxPerTenant: 2 } });
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return isSluiceError(e) ? e.code : String(e);
      }
      return 'ok';
    };
    expect(await code(h.svc.reportTrunk('acme', 't1', 0.2))).toBe('ok');
    await runFor(h.clock, 6_000);
    expect(await code(h.svc.reportTrunk('acme', 't2', 0.2))).toBe('ok');
    expect(await code(h.svc.reportTrunk('acme', 't3', 0.2))).toBe('SLUICE_ERR_CONTROL_TRUNKS_FULL');
    expect(await code(h.svc.reportTrunk('acme', 't2', 0.3))).toBe('ok');
    expect(await code(h.svc.reportTrunk('globex', 't3', 0.2))).toBe('ok');
    expect(await code(h.svc.reportTrunk('acme', 't4', 0.2, h.clock.now() - 10_000))).toBe('SLUICE_ERR_CONTROL_REQUEST_INVALID');
    await runFor(h.clock, 5_000);
    // t1 has been silent for 11 s: t3 takes its place, and the map is rewritten without it.
    expect(await code(h.svc.reportTrunk('acme', 't3', 0.2))).toBe('ok');
    expect(Object.keys(await h.store.getFields('control:trunks:acme')).sort()).toEqual(['t2', 't3']);
  });
});
