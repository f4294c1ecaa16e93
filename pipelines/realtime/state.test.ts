import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../events/types.js';
import { RealtimeState } from './state.js';

const T = 1_795_000_000_000;
let n = 0;
const call = (
  tenant: string,
  skillGroup: string,
  callId: string,
  type: 'OFFERED' | 'ANSWERED' | 'ABANDONED' | 'COMPLETED',
  ts: number,
): TelemetryEvent => ({
  v: 1,
  tenant,
  source: 'skillgroup',
  id: `e${++n}`,
  ts,
  body: { skillGroup, callId, type },
});
const agent = (
  tenant: string,
  agentId: string,
  state: 'AVAILABLE' | 'ON_CALL' | 'AUX' | 'LOGGED_OUT' | 'ACW',
  ts: number,
  skillGroups?: string[],
  reason?: string,
): TelemetryEvent => ({
  v: 1,
  tenant,
  source: 'agent',
  id: `e${++n}`,
  ts,
  body: { agentId, state, skillGroups, reason },
});

describe('RealtimeState', () => {
  it("tracks calls waiting and the longest current wait per skill group, whatever order a call's events arrive in", () => {
    const s = new RealtimeState();
    s.apply(call('acme', 'sales', 'c1', 'OFFERED', T), T);
    s.apply(call('acme', 'sales', 'c2', 'OFFERED', T + 5_000), T + 5_000);
    s.apply(call('acme', 'sales', 'c3', 'ANSWERED', T + 6_000), T + 6_000); // its OFFERED comes late
    s.apply(call('acme', 'sales', 'c3', 'OFFERED', T + 1_000), T + 6_500);
    s.apply(call('acme', 'support', 'c4', 'OFFERED', T + 2_000), T + 7_000);
    let sales = s.skillGroups(T + 10_000, 'acme', 'sales')[0]!;
    expect(sales).toMatchObject({ callsWaiting: 2, longestWaitMs: 10_000 });
    s.apply(call('acme', 'sales', 'c1', 'ANSWERED', T + 11_000), T + 11_000);
    sales = s.skillGroups(T + 12_000, 'acme', 'sales')[0]!;
    expect(sales).toMatchObject({ callsWaiting: 1, longestWaitMs: 7_000 });
    s.apply(call('acme', 'sales', 'c2', 'ABANDONED', T + 13_000), T + 13_000);
    expect(s.skillGroups(T + 14_000, 'acme', 'sales')[0]).toMatchObject({ callsWaiting: 0, longestWaitMs: 0 });
    expect(s.skillGroups(T + 14_000).map((q) => q.skillGroup)).toEqual(['sales', 'support']);
  });

  it("measures the longest wait as of the queue's event time while the pipeline catches up on a backlog, by the wall clock live", () => {
    const s = new RealtimeState({ onTimeMs: 5_000 });
    const H = 3_600_000;
    const wait = (now: number, tenant = 'acme') => s.skillGroups(now, tenant, 'sales')[0]!;
    // Processing at T + 2 h, replaying the events of two hours ago: c1 offered at T, c2 at T + 30 s, c3 at T + 45 s.
    s.apply(call('acme', 'sales', 'c1', 'OFFERED', T), T + 2 * H);
    s.apply(call('acme', 'sales', 'c2', 'OFFERED', T + 30_000), T + 2 * H + 10);
    s.apply(call('acme', 'sales', 'c3', 'OFFERED', T + 45_000), T + 2 * H + 20);
    // The backlog stands at T + 45 s: c1 has waited 45 s (+ the 5 s an on-time event may lag), not two hours
    // (the wall clock would say 7 200 s).
    expect(wait(T + 2 * H + 20)).toMatchObject({ callsWaiting: 3, longestWaitMs: 50_000 });
    // Between two events of the backlog the queue's event time moves with processing time (its calls keep waiting)…
    expect(wait(T + 2 * H + 520).longestWaitMs).toBe(50_500);
    // …and a late event (older than what was applied) does not put it back; news of agents does not move it.
    s.apply(call('acme', 'sales', 'c4', 'OFFERED', T + 10_000), T + 2 * H + 600);
    s.apply(agent('acme', 'a1', 'ON_CALL', T + 2 * H, ['sales']), T + 2 * H + 600);
    expect(wait(T + 2 * H + 600).longestWaitMs).toBe(50_580);
    // Another queue's backlog is its own: globex's is live (its event came 5 s after its time, on time).
    s.apply(call('globex', 'sales', 'g1', 'OFFERED', T + 2 * H - 5_000), T + 2 * H);
    expect(wait(T + 2 * H + 1_000, 'globex').longestWaitMs).toBe(6_000);
    // Caught up: acme's events are on time again; c1 to c3 left, c4 (offered at T + 10 s) has waited 2 h less 9 s.
    for (const c of ['c1', 'c2', 'c3']) s.apply(call('acme', 'sales', c, 'ANSWERED', T + 2 * H), T + 2 * H + 1_000);
    expect(wait(T + 2 * H + 1_000)).toMatchObject({ callsWaiting: 1, longestWaitMs: 2 * H - 9_000 });
    // Quiet but live: no event for a minute, the wait grows with the wall clock; an event from the future changes nothing.
    expect(wait(T + 2 * H + 61_000).longestWaitMs).toBe(2 * H + 51_000);
    s.apply(call('acme', 'sales', 'c5', 'OFFERED', T + 3 * H), T + 2 * H + 61_000);
    expect(wait(T + 2 * H + 61_000).longestWaitMs).toBe(2 * H + 51_000);
  });

  it('keeps the calls of a backlog older than the call TTL while it is caught up, and forgets them once live and stale', () => {
    const H = 3_600_000;
    const s = new RealtimeState({ onTimeMs: 5_000, callTtlMs: 4 * H });
    // Processing at T + 6 h the events of T: a call offered then, its queue's newest event just after.
    s.apply(call('acme', 'sales', 'c1', 'OFFERED', T), T + 6 * H);
    s.apply(call('acme', 'sales', 'c2', 'OFFERED', T + 60_000), T + 6 * H + 100);
    s.expire(T + 6 * H + 200);
    expect(s.skillGroups(T + 6 * H + 200, 'acme', 'sales')[0]).toMatchObject({ callsWaiting: 2 });
    // Caught up (an on-time event): by the wall clock again, c1 and c2 (offered 6 h back) are past the TTL, c3 is not.
    s.apply(call('acme', 'sales', 'c3', 'OFFERED', T + 6 * H + 1_000), T + 6 * H + 1_000);
    s.expire(T + 6 * H + 2_000);
    expect(s.skillGroups(T + 6 * H + 2_000, 'acme', 'sales')[0]).toMatchObject({ callsWaiting: 1, longestWaitMs: 1_000 });
  });

  it('counts agents by state per skill group, keeping the newest state by event time', () => {
    const s = new RealtimeState();
    s.apply(agent('acme', 'a1', 'AVAILABLE', T, ['sales', 'support']), T);
    s.apply(agent('acme', 'a2', 'ON_CALL', T, ['sales']), T);
    s.apply(agent('acme', 'a3', 'AUX', T, ['sales'], 'lunch'), T);
    s.apply(agent('acme', 'a2', 'AVAILABLE', T - 1_000), T); // older than what we know: ignored
    s.apply(agent('globex', 'a1', 'AVAILABLE', T, ['sales']), T);
    const [sales, support] = s.skillGroups(T, 'acme');
    expect(sales!.agents).toEqual({ AVAILABLE: 1, ON_CALL: 1, AUX: 1 });
    expect(support!.agents).toEqual({ AVAILABLE: 1 });
    expect(s.agents('acme').find((a) => a.agentId === 'a3')).toMatchObject({ state: 'AUX', reason: 'lunch', since: T });
    const snap = s.snapshots(T).find((x) => x.tenant === 'acme' && x.skillGroup === 'sales')!;
    expect(snap).toMatchObject({ agentsAvailable: 1, agentsBusy: 1, agentsTotal: 3 });
  });

  it('keeps the two newest minutes and reports the last complete one to the control loop', () => {
    const s = new RealtimeState();
    const row = (windowStart: number, offered: number, final: boolean) => ({
      tenant: 'acme',
      skillGroup: 'sales',
      windowStart,
      offered,
      answered: 1,
      abandoned: 0,
      version: offered,
      final,
    });
    s.applyRows([row(T, 3, false)], T);
    s.applyRows([row(T + 60_000, 2, false), row(T, 4, true)], T + 61_000);
    const q = s.skillGroups(T + 61_000, 'acme')[0]!;
    expect(q.currentMinute).toMatchObject({ windowStart: T + 60_000, offered: 2 });
    expect(q.previousMinute).toMatchObject({ windowStart: T, offered: 4, final: true });
    expect(s.snapshots(T + 61_000)[0]).toMatchObject({ offeredLastMinute: 4 });
  });

  it('forgets calls without news past their TTL and logged-out agents after the idle TTL, and notifies changes', () => {
    const s = new RealtimeState({ callTtlMs: 60_000, idleTtlMs: 120_000 });
    const changed: string[] = [];
    const off = s.onChange((t) => changed.push(t));
    s.apply(call('acme', 'sales', 'lost', 'OFFERED', T), T);
    s.apply(agent('acme', 'gone', 'LOGGED_OUT', T, ['sales']), T);
    s.apply(agent('acme', 'here', 'AVAILABLE', T, ['sales']), T);
    off();
    s.apply(call('globex', 'x', 'c', 'OFFERED', T), T);
    expect(changed).toEqual(['acme', 'acme', 'acme']);
    s.expire(T + 61_000);
    expect(s.skillGroups(T + 61_000, 'acme')[0]!.callsWaiting).toBe(0);
    s.apply(agent('acme', 'here', 'ON_CALL', T + 100_000, ['sales']), T + 100_000);
    s.expire(T + 121_000);
    expect(s.agents('acme').map((a) => a.agentId)).toEqual(['here']);
  });

  it('evicts skill groups, agents and extensions with no event past the idle TTL, whatever their state, and keeps those still heard from', () => {
    const s = new RealtimeState({ idleTtlMs: 3_600_000 });
    const ext = (extension: string, ts: number): TelemetryEvent => ({
      v: 1,
      tenant: 'acme',
      source: 'extension',
      id: `e${++n}`,
      ts,
      body: { extension, state: 'IDLE' },
    });
    for (let i = 0; i < 500; i++) s.apply(call('acme', `campaign-${i}`, `c${i}`, 'COMPLETED', T), T);
    s.apply(call('acme', 'sales', 'c-live', 'OFFERED', T), T);
    s.apply(agent('acme', 'silent', 'AVAILABLE', T, ['campaign-1']), T);
    s.apply(agent('acme', 'busy', 'ON_CALL', T, ['sales']), T);
    s.apply(ext('2001', T), T);
    s.apply(ext('2002', T), T);
    expect(s.size).toEqual({ skillGroups: 501, agents: 2, extensions: 2 });
    // Half an hour on, sales, agent busy and extension 2002 are heard from again (by processing time: an
    // old event still says the name is alive); sales also gets its minute figures.
    const later = T + 1_800_000;
    s.apply(call('acme', 'sales', 'c-live2', 'OFFERED', later), later);
    s.apply(agent('acme', 'busy', 'ON_CALL', T - 1, ['sales']), later);
    s.apply(ext('2002', T - 1), later);
    expect(s.expire(T + 3_600_000)).toBe(0);
    expect(s.expire(T + 3_600_001)).toBe(500 + 1 + 1);
    expect(s.size).toEqual({ skillGroups: 1, agents: 1, extensions: 1 });
    expect(s.skillGroups(T + 3_600_001, 'acme').map((q) => q.skillGroup)).toEqual(['sales']);
    expect(s.agents('acme').map((a) => a.agentId)).toEqual(['busy']);
    expect(s.extensions('acme').map((x) => x.extension)).toEqual(['2002']);
    expect(s.snapshots(T + 3_600_001).map((q) => q.skillGroup)).toEqual(['sales']);
    // A figure keeps a skill group listed too (the agent and extension last heard from at `later` go first).
    s.applyRows(
      [{ tenant: 'acme', skillGroup: 'sales', windowStart: T, offered: 2, answered: 0, abandoned: 0, final: true }],
      T + 3_000_000,
    );
    expect(s.expire(later + 3_600_001)).toBe(1 + 1);
    expect(s.skillGroups(later + 3_600_001).map((q) => q.skillGroup)).toEqual(['sales']);
    expect(s.expire(T + 3_000_000 + 3_600_001)).toBe(1);
    expect(s.skillGroups(T + 7_000_000)).toEqual([]);
  });
});

describe('RealtimeState sliding figures', () => {
  it('keeps the newest 5- and 60-minute spans with their service level, ASA and abandon rate', async () => {
    const { emptySkillGroupSums, addSkillGroupEvent } = await import('../metrics/skillgroup-sums.js');
    let sums = emptySkillGroupSums({ serviceLevelMs: 20_000, shortAbandonMs: 5_000 });
    sums = addSkillGroupEvent(sums, { skillGroup: 'sales', callId: 'a', type: 'OFFERED' });
    sums = addSkillGroupEvent(sums, { skillGroup: 'sales', callId: 'a', type: 'ANSWERED', waitMs: 10_000 });
    sums = addSkillGroupEvent(sums, { skillGroup: 'sales', callId: 'b', type: 'OFFERED' });
    sums = addSkillGroupEvent(sums, { skillGroup: 'sales', callId: 'b', type: 'ABANDONED', waitMs: 30_000 });
    const s = new RealtimeState();
    s.applySliding([{ tenant: 'acme', skillGroup: 'sales', windowEnd: T, sizeMs: 300_000, sums }], T);
    s.applySliding(
      [
        {
          tenant: 'acme',
          skillGroup: 'sales',
          windowEnd: T - 60_000,
          sizeMs: 300_000,
          sums: emptySkillGroupSums({ serviceLevelMs: 20_000, shortAbandonMs: 5_000 }),
        },
      ],
      T,
    );
    const q = s.skillGroups(T, 'acme')[0]!;
    // 1 answered within 20 s of 2 (answered + abandoned); ASA 10 s; 1 of 2 offered abandoned.
    expect(q.last5m).toEqual({
      windowEnd: T,
      offered: 2,
      answered: 1,
      abandoned: 1,
      answeredWithinSl: 1,
      abandonedWithinSl: 0,
      shortAbandons: 0,
      serviceLevel: 0.5,
      serviceLevelVariant: 'answeredAndAbandoned',
      serviceLevelThresholdMs: 20_000,
      serviceLevelObjective: 0.8,
      serviceLevelDefinition: 'answered within 20 s ÷ (answered + abandoned)',
      asaMs: 10_000,
      ahtMs: null,
      abandonRate: 0.5,
      maxWaitMs: 30_000,
    });
    expect(q.last60m).toBeNull();
    expect(s.snapshots(T)[0]!.serviceLevel).toBe(0.5);

    // A tenant whose definition is "answered within T / answered" sees 1 of 1, with its objective.
    const own = new RealtimeState({
      serviceLevelOf: (tenant) =>
        tenant === 'acme' ? { variant: 'answered', objective: 0.9 } : { variant: 'answeredAndAbandoned', objective: 0.8 },
    });
    own.applySliding([{ tenant: 'acme', skillGroup: 'sales', windowEnd: T, sizeMs: 300_000, sums }], T);
    own.applySliding([{ tenant: 'globex', skillGroup: 'sales', windowEnd: T, sizeMs: 300_000, sums }], T);
    const [acme, globex] = [own.skillGroups(T, 'acme')[0]!.last5m!, own.skillGroups(T, 'globex')[0]!.last5m!];
    expect([acme.serviceLevel, acme.serviceLevelVariant, acme.serviceLevelObjective]).toEqual([1, 'answered', 0.9]);
    expect([globex.serviceLevel, globex.serviceLevelVariant, globex.serviceLevelObjective]).toEqual([0.5, 'answeredAndAbandoned', 0.8]);
    expect(own.snapshots(T).map((x) => x.serviceLevel)).toEqual([1, 0.5]);
  });
});
