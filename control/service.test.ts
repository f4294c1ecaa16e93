import { afterEach, describe, expect, it } from 'vitest';
import { runFor, settle } from '../adapters/clock.js';
import { DEFAULT_POLICY } from './policy/defaults.js';
import type { TenantPolicy } from './policy/schema.js';
import type { ControlEvents } from './service-types.js';
import { calm, harness, overloaded } from './testing/harness.js';
import type { Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.svc.stop();
  h = undefined;
});

async function started(over: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  h = harness(over);
  h.view.set([calm('acme', 'care', h.clock.now())]);
  await h.svc.start();
  return h;
}

const call = (over: Record<string, unknown> = {}) => ({
  tenant: 'acme',
  callId: 'c-1',
  skillGroup: 'care',
  priority: 'normal' as const,
  ...over,
});

describe('ControlService.route', () => {
  it('routes to agents on the primary CTI at L0 and logs every decision with its reason', async () => {
    const { svc, log, writer } = await started();
    const a = svc.route(call());
    expect(a).toMatchObject({ target: 'agent', ctiNode: 'a', level: 0 });
    expect(a.decisionId).toMatch(/^[a-f0-9]{10}-[a-z0-9]+\.[a-z0-9]+\.acme\.cti:a\.[A-Za-z0-9_-]{10}$/);
    expect(a.reason).toBe('L0: normal → agent via primary CTI a (policy)');
    await log.flush();
    expect(writer.decisions()).toEqual([
      expect.objectContaining({
        decisionId: a.decisionId,
        tenant: 'acme',
        skillGroup: 'care',
        target: 'agent',
        ctiNode: 'a',
        level: 0,
        instance: 'test',
      }),
    ]);
  });

  it('refuses an unknown tenant and an unknown skill group, naming them; routes one at the tenant level when the policy says so', async () => {
    const { svc } = await started();
    const refused: ControlEvents['refused'][] = [];
    svc.on('refused', (e) => refused.push(e));
    expect(() => svc.route(call({ tenant: 'nobody' }))).toThrow(/unknown tenant: tenant "nobody" is not served/);
    expect(() => svc.route(call({ skillGroup: 'unheard-of' }))).toThrow(/skill group "unheard-of" of tenant "acme"/);
    await svc.putPolicy('acme', { ...DEFAULT_POLICY, skillGroups: ['billing'] }, { author: 'ops' });
    expect(svc.route(call({ skillGroup: 'billing' }))).toMatchObject({ target: 'agent', level: 0 });
    await svc.putPolicy('acme', { ...DEFAULT_POLICY, unknownSkillGroups: 'tenant-level' }, { author: 'ops' });
    const g = svc.route(call({ skillGroup: 'unheard-of' }));
    expect(g).toMatchObject({ target: 'agent', level: 0 });
    expect(g.reason).toContain('[skill group not tracked: tenant level]');
    expect(refused).toEqual([
      { kind: 'unknown-tenant', tenant: 'nobody', skillGroup: undefined },
      { kind: 'unknown-skill-group', tenant: 'acme', skillGroup: 'unheard-of' },
      { kind: 'tenant-level', tenant: 'acme', skillGroup: 'unheard-of' },
    ]);
  });

  it('feeds outcomes to the breaker: failures on the primary trip it and calls fail over to the backup', async () => {
    const { svc } = await started({ breakers: () => ({ errorCount: 3 }) });
    const seen: ControlEvents['breaker'][] = [];
    svc.on('breaker', (t) => seen.push(t));
    // Only the primary fails; calls the client-side throttle spills to the backup succeed.
    for (let i = 0; i < 200 && seen.length === 0; i++) {
      const d = svc.route(call({ callId: `c${i}` }));
      expect(svc.outcome(d.decisionId, { success: d.ctiNode !== 'a', latencyMs: 30 })).toBe(true);
    }
    expect(seen).toEqual([expect.objectContaining({ breakerId: 'cti:a', from: 'closed', to: 'open', source: 'local' })]);
    const next = svc.route(call({ callId: 'after' }));
    expect(next).toMatchObject({ target: 'agent', ctiNode: 'b' });
    expect(next.reason).toMatch(/primary a unavailable/);
  });

  it('answers false for unknown, repeated and expired outcomes, and frees the slot an unanswered decision held', async () => {
    const { svc, clock } = await started({
      ctiNodes: { primary: 'a' },
      decisionTtlMs: 10_000,
      limiter: { initialLimit: 2, minLimit: 1, maxLimit: 2 },
    });
    expect(svc.outcome('0000000000-zz', { success: true, latencyMs: 1 })).toBe(false);
    const first = svc.route(call());
    expect(svc.outcome(first.decisionId, { success: true, latencyMs: 5 })).toBe(true);
    expect(svc.outcome(first.decisionId, { success: true, latencyMs: 5 })).toBe(false);
    const held = [svc.route(call({ callId: 'x1' })), svc.route(call({ callId: 'x2' }))];
    expect(held.map((d) => d.ctiNode)).toEqual(['a', 'a']);
    expect(svc.route(call({ callId: 'x3' }))).toMatchObject({ target: 'smart_ivr' });
    await runFor(clock, 11_000);
    expect(svc.outcome(held[0]!.decisionId, { success: true, latencyMs: 5 })).toBe(false);
    expect(svc.stats().decisions.expired).toBeGreaterThanOrEqual(2);
    expect(svc.route(call({ callId: 'x4' })).ctiNode).toBe('a');
  });
});

describe('ControlService levels in virtual time', () => {
  it('escalates one level per tick under overload, diverts with callback tickets at L3, logs the changes, and recovers one level per hold', async () => {
    const { svc, clock, view, log, writer, tickets } = await started();
    const levels: ControlEvents['level'][] = [];
    svc.on('level', (e) => levels.push(e));
    const feed = (fn: typeof calm) => view.set([fn('acme', 'care', clock.now())]);
    feed(overloaded);
    for (let i = 1; i <= 3; i++) {
      await runFor(clock, 1_000);
      feed(overloaded);
      expect(svc.state('acme').levels.find((l) => l.skillGroup === undefined)?.level).toBe(i);
    }
    const path = ['main', 'billing', 'fee-dispute'];
    const low = svc.route(call({ priority: 'low', callId: 'low-1', intent: 'fee_dispute', ivrTrajectory: path }));
    path[0] = 'changed-after-the-call';
    expect(low).toMatchObject({ target: 'keypad_ivr', level: 3 });
    const bare = svc.route(call({ priority: 'low', callId: 'low-2', intent: '', ivrTrajectory: [] }));
    expect(svc.route(call({ priority: 'vip', callId: 'v', intent: 'vip_intent', ivrTrajectory: ['main'] }))).toMatchObject({
      target: 'agent',
      level: 3,
    });
    clock.advance(0);
    await settle();
    // The ticket carries the route request's intent and IVR path as they were when the call was decided;
    // an empty intent or path is no context at all, and a call that was not diverted makes no ticket.
    expect(tickets.list()).toEqual([
      {
        tenant: 'acme',
        callId: 'low-1',
        skillGroup: 'care',
        decisionId: low.decisionId,
        priority: 'low',
        reason: low.reason,
        intent: 'fee_dispute',
        ivrTrajectory: ['main', 'billing', 'fee-dispute'],
      },
      { tenant: 'acme', callId: 'low-2', skillGroup: 'care', decisionId: bare.decisionId, priority: 'low', reason: bare.reason },
    ]);
    feed(calm);
    for (let t = 0; t < 20; t++) {
      await runFor(clock, 1_000);
      feed(calm);
    }
    expect(svc.state('acme').levels.every((l) => l.level === 0)).toBe(true);
    const tenantSteps = levels.filter((e) => e.scope.skillGroup === undefined).map((e) => [e.from, e.to]);
    expect(tenantSteps).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 2],
      [2, 1],
      [1, 0],
    ]);
    await log.flush();
    expect(
      writer
        .levelChanges()
        .filter((r) => r.skillGroup === undefined)
        .map((r) => r.change),
    ).toEqual(['escalate', 'escalate', 'escalate', 'recover', 'recover', 'recover']);
  });

  it('keeps the level when the snapshots go stale (fail-static on missing signals)', async () => {
    const { svc, clock, view } = await started({ staleSnapshotMs: 5_000 });
    view.set([overloaded('acme', 'care', clock.now() - 4_000)]);
    await runFor(clock, 1_000);
    expect(svc.state('acme').levels.find((l) => l.skillGroup === undefined)?.level).toBe(1);
    await runFor(clock, 60_000);
    expect(svc.state('acme').levels.find((l) => l.skillGroup === undefined)?.level).toBe(1);
    expect(svc.state('acme').signals).toEqual([]);
  });

  it('pins a level for a bounded time; the pin ends by itself', async () => {
    const { svc, clock } = await started();
    expect(svc.pin({ tenant: 'acme' }, 3, 4_000, 'carrier incident')).toMatchObject({ level: 3, until: clock.now() + 4_000 });
    expect(svc.route(call()).level).toBe(3);
    expect(() => svc.pin({ tenant: 'acme' }, 2, 0, 'x')).toThrow(/forMs must be > 0/);
    await runFor(clock, 5_000);
    expect(svc.state('acme').levels.find((l) => l.skillGroup === undefined)?.override).toBeNull();
  });
});

describe('ControlService admission', () => {
  it('limits agents per tenant with the level policy bucket, refusing into the next channel', async () => {
    const strict: TenantPolicy = {
      levels: { ...DEFAULT_POLICY.levels, L2: { ...DEFAULT_POLICY.levels.L2, admission: { ratePerSec: 1, burst: 2 } } },
    };
    const { svc } = await started();
    await svc.putPolicy('acme', strict, { expectedVersion: 0 });
    svc.pin({ tenant: 'acme' }, 2, 60_000, 'test');
    const refused: ControlEvents['admission-rejected'][] = [];
    svc.on('admission-rejected', (e) => refused.push(e));
    const answers = [1, 2, 3].map((i) => svc.route(call({ priority: 'vip', callId: `v${i}` })));
    expect(answers.map((a) => a.target)).toEqual(['agent', 'agent', 'chat']);
    expect(answers[2]!.reason).toContain('(admission limit reached)');
    expect(refused).toEqual([{ tenant: 'acme', level: 2, kind: 'bucket', key: 'acme|L2' }]);
    expect(svc.state('acme').admission.buckets).toEqual([
      expect.objectContaining({ tenant: 'acme', level: 2, ratePerSec: 1, burst: 2, share: 1, refused: 1 }),
    ]);
  });

  it('spills from the primary to the backup CTI by the client-side throttle when the primary accepts too little', async () => {
    const { svc } = await started({ throttle: { k: 1 }, limiter: { initialLimit: 500, maxLimit: 1_000 } });
    const nodes = Array.from({ length: 200 }, (_, i) => svc.route(call({ callId: `t${i}` })));
    const spilled = nodes.filter((d) => d.ctiNode === 'b');
    expect(spilled.length).toBeGreaterThan(50);
    expect(spilled[0]!.reason).toContain('[spilled from primary by the client-side throttle]');
    for (const d of nodes) svc.outcome(d.decisionId, { success: true, latencyMs: 5 });
    const after = Array.from({ length: 100 }, (_, i) => svc.route(call({ callId: `u${i}` }))).filter((d) => d.ctiNode === 'b');
    expect(after.length).toBeLessThan(spilled.length / 2);
  });

  it('emits typed decision events with the server time spent', async () => {
    const { svc } = await started();
    const events: ControlEvents['decision'][] = [];
    const off = svc.on('decision', (e) => events.push(e));
    svc.route(call());
    off();
    svc.route(call());
    expect(events).toEqual([
      expect.objectContaining({ tenant: 'acme', target: 'agent', level: 0, probe: false, spilled: false, admitted: true }),
    ]);
    expect(events[0]!.durationNs).toBeGreaterThan(0);
  });
});

describe('ControlService operator actions', () => {
  it('forces a breaker open with expiry (routing avoids it), clears it, and refuses unknown keys', async () => {
    const { svc, clock } = await started();
    expect(svc.force('cti:a', 'open', 3_000, 'maintenance')).toMatchObject({
      id: 'cti:a',
      state: 'forced-open',
      until: clock.now() + 3_000,
    });
    expect(svc.route(call()).ctiNode).toBe('b');
    expect(() => svc.force('cti:zz', 'open', 1_000, 'x')).toThrow(/breaker cti:zz not found/);
    expect(() => svc.force('cti:a', 'open', 0, 'x')).toThrow(/forMs must be > 0/);
    await runFor(clock, 3_000);
    expect(svc.state().breakers.find((b) => b.id === 'cti:a')?.state).toBe('half-open');
    svc.force('channel:chat', 'closed', 10_000, 'trust it');
    svc.force('channel:chat', 'clear', undefined, 'done');
    expect(svc.state().breakers.find((b) => b.id === 'channel:chat')?.state).toBe('closed');
  });

  it('versions policies: optimistic check, previous version kept, rollback', async () => {
    const { svc } = await started();
    expect((await svc.policy('acme')).current).toBeNull();
    const v1 = await svc.putPolicy('acme', DEFAULT_POLICY, { expectedVersion: 0, author: 'ops' });
    expect(v1.current).toMatchObject({ version: 1, author: 'ops' });
    await expect(svc.putPolicy('acme', DEFAULT_POLICY, { expectedVersion: 0 })).rejects.toMatchObject({
      code: 'SLUICE_ERR_POLICY_VERSION_CONFLICT',
      status: 409,
    });
    await expect(svc.putPolicy('acme', { levels: {} }, {})).rejects.toMatchObject({ code: 'SLUICE_ERR_POLICY_INVALID', status: 400 });
    const noSmart = { levels: { ...DEFAULT_POLICY.levels, L1: { ...DEFAULT_POLICY.levels.L1, targets: ['agent', 'chat'] } } };
    await svc.putPolicy('acme', noSmart, { expectedVersion: 1 });
    svc.pin({ tenant: 'acme' }, 1, 60_000, 'test');
    expect(svc.route(call({ priority: 'low' })).target).toBe('chat');
    const p = await svc.policy('acme');
    expect([p.current?.version, p.previous?.version]).toEqual([2, 1]);
    await svc.rollbackPolicy('acme', {});
    expect(svc.route(call({ priority: 'low' })).target).toBe('smart_ivr');
  });
});
