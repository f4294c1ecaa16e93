import { describe, expect, it } from 'vitest';
import type { AgentEvent, AgentState, ExtensionEvent, IntervalEvent, SkillGroupEvent, TelemetryEvent } from '../pipelines/events/types.js';
import { TrafficSimulation } from './model.js';
import { HOUR_MS } from './profile.js';
import { buildScenario } from './scenario.js';

// 09:00–19:00 UTC: breaks, the 16:00 shift change, a peak that overloads, two tenants, agents with two skills.
const START = Date.UTC(2026, 0, 12, 9, 0);
const config = buildScenario({
  seed: 2024,
  start: START,
  minutes: 600,
  tenants: ['acme', 'globex'],
  callsPerHour: 200,
  peaks: [{ start: START + 3 * HOUR_MS, durationMinutes: 90, multiplier: 3, rampMinutes: 20 }],
});
const sim = new TrafficSimulation(config);
const events: TelemetryEvent[] = [...sim];
const of = <S extends TelemetryEvent['source']>(s: S) => events.filter((e): e is Extract<TelemetryEvent, { source: S }> => e.source === s);
const calls = of('skillgroup');
const agentEvents = of('agent');
const extensions = of('extension');
const intervals = of('interval');

const LEGAL: Record<AgentState, readonly AgentState[]> = {
  LOGGED_OUT: ['AVAILABLE'],
  AVAILABLE: ['RINGING', 'AUX', 'LOGGED_OUT'],
  RINGING: ['ON_CALL', 'AVAILABLE', 'AUX', 'LOGGED_OUT'],
  ON_CALL: ['HOLD', 'ACW', 'AVAILABLE', 'AUX', 'LOGGED_OUT'],
  HOLD: ['ON_CALL'],
  ACW: ['AVAILABLE', 'AUX', 'LOGGED_OUT'],
  AUX: ['AVAILABLE', 'LOGGED_OUT'],
};

describe('the four sources agree with each other', () => {
  it('covers what it should: calls answered and abandoned, breaks, shift changes', () => {
    const types = new Set(calls.map((e) => e.body.type));
    expect([...types].sort()).toEqual(['ABANDONED', 'ANSWERED', 'COMPLETED', 'OFFERED']);
    expect(new Set(agentEvents.filter((e) => e.body.state === 'AUX').map((e) => e.body.reason))).toEqual(new Set(['break', 'lunch']));
    expect(agentEvents.some((e) => e.body.state === 'LOGGED_OUT' && e.ts === START + 7 * HOUR_MS)).toBe(true);
    expect(agentEvents.some((e) => e.body.state === 'HOLD')).toBe(true);
    expect(new Set(calls.map((e) => e.tenant))).toEqual(new Set(['acme', 'globex']));
  });

  it('every ANSWERED has its agent ON_CALL and its extension BUSY for that call at that instant, after RINGING', () => {
    const last = new Map<string, AgentEvent>();
    const byKey = new Map<string, (AgentEvent | ExtensionEvent)[]>();
    for (const e of [...agentEvents, ...extensions]) {
      const k = `${e.tenant}|${e.ts}|${e.source === 'agent' ? e.body.agentId : e.body.extension}`;
      byKey.set(k, [...(byKey.get(k) ?? []), e]);
    }
    let answered = 0;
    let i = 0;
    for (const e of events) {
      if (e.source === 'agent') last.set(`${e.tenant}|${e.body.agentId}`, e);
      if (e.source !== 'skillgroup' || e.body.type !== 'ANSWERED') continue;
      answered++;
      const agentId = e.body.agentId!;
      const prior = last.get(`${e.tenant}|${agentId}`);
      expect(prior?.body).toMatchObject({ state: 'RINGING', callId: e.body.callId });
      const same = byKey.get(`${e.tenant}|${e.ts}|${agentId}`) ?? [];
      expect(same.some((a) => a.source === 'agent' && a.body.state === 'ON_CALL' && a.body.callId === e.body.callId)).toBe(true);
      const ext = byKey.get(`${e.tenant}|${e.ts}|x-${agentId}`) ?? [];
      expect(ext.some((x) => x.source === 'extension' && x.body.state === 'BUSY' && x.body.callId === e.body.callId)).toBe(true);
      // The agent serves the call's skill group.
      expect(prior?.body.skillGroups).toContain(e.body.skillGroup);
      i++;
    }
    expect(answered).toBeGreaterThan(1000);
    expect(i).toBe(answered);
  });

  it('every agent moves only along legal state transitions', () => {
    const state = new Map<string, AgentState>();
    for (const e of agentEvents) {
      const k = `${e.tenant}|${e.body.agentId}`;
      const from = state.get(k);
      if (from !== undefined && !LEGAL[from].includes(e.body.state))
        throw new Error(`${k}: ${from} → ${e.body.state} at ${new Date(e.ts).toISOString()}`);
      state.set(k, e.body.state);
    }
    expect(state.size).toBe(config.tenants.reduce((n, t) => n + t.agents.length, 0));
  });

  it('each call: OFFERED, then ANSWERED or ABANDONED once, COMPLETED after ANSWERED, with waits and durations that add up', () => {
    const byCall = new Map<string, SkillGroupEvent[]>();
    for (const e of calls) byCall.set(e.body.callId, [...(byCall.get(e.body.callId) ?? []), e]);
    for (const [id, list] of byCall) {
      const [offered, exit, done, ...rest] = list;
      expect(rest, id).toEqual([]);
      expect(offered!.body.type, id).toBe('OFFERED');
      if (!exit) continue; // still waiting at the end of the run
      expect(['ANSWERED', 'ABANDONED'], id).toContain(exit.body.type);
      expect(exit.body.waitMs, id).toBe(exit.ts - offered!.ts);
      if (!done) continue;
      expect(exit.body.type, id).toBe('ANSWERED');
      expect(done.body.type, id).toBe('COMPLETED');
      const b = done.body;
      expect(done.ts - exit.ts, id).toBe(b.talkMs! + b.holdMs! + b.acwMs!);
      expect(b.agentId, id).toBe(exit.body.agentId);
    }
  });

  it('each vendor interval report equals the sums over the skill-group events of its interval', () => {
    expect(intervals.length).toBe(2 * 3 * 40); // 2 tenants × 3 groups × 40 quarter hours
    const sl = config.serviceLevelSec! * 1000;
    for (const r of intervals as IntervalEvent[]) {
      const b = r.body;
      const inside = calls.filter(
        (e) =>
          e.tenant === r.tenant && e.body.skillGroup === b.key && e.ts >= b.intervalStart && e.ts < b.intervalStart + b.intervalSec * 1000,
      );
      const count = (t: string, within = false) => inside.filter((e) => e.body.type === t && (!within || e.body.waitMs! <= sl)).length;
      const done = inside.filter((e) => e.body.type === 'COMPLETED');
      const total = (k: 'talkMs' | 'holdMs' | 'acwMs') => done.reduce((n, e) => n + e.body[k]!, 0);
      expect(r.ts).toBe(b.intervalStart + 900_000);
      expect(b).toMatchObject({
        offered: count('OFFERED'),
        answered: count('ANSWERED'),
        abandoned: count('ABANDONED'),
        answeredWithinSl: count('ANSWERED', true),
        abandonedWithinSl: count('ABANDONED', true),
        handled: done.length,
      });
      expect(Math.round(b.talkSec! * 1000)).toBe(total('talkMs'));
      expect(Math.round(b.holdSec! * 1000)).toBe(total('holdMs'));
      expect(Math.round(b.acwSec! * 1000)).toBe(total('acwMs'));
    }
    // The reports together cover every call event of the run.
    expect(intervals.reduce((n, r) => n + (r.body.offered ?? 0), 0)).toBe(calls.filter((e) => e.body.type === 'OFFERED').length);
  });

  it('the summary counts what the events say', () => {
    const s = sim.summary();
    expect(s.events.total).toBe(events.length);
    expect(s.events).toMatchObject({
      agent: agentEvents.length,
      extension: extensions.length,
      skillgroup: calls.length,
      interval: intervals.length,
    });
    expect(s.totals.answered).toBe(calls.filter((e) => e.body.type === 'ANSWERED').length);
    expect(s.totals.abandoned).toBe(calls.filter((e) => e.body.type === 'ABANDONED').length);
    expect(s.peaks[0]!.realisedMultiplier!).toBeGreaterThan(2.5);
  });
});
