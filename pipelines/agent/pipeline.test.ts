import { describe, expect, it } from 'vitest';
import type { AgentEvent, AgentState } from '../events/types.js';
import { occupancy, utilisation } from '../metrics/formulas.js';
import { AgentPartition } from './pipeline.js';
import type { AgentWindowRow } from './rows.js';
import { EPOCH, parseResumePoint, type StateWindowOptions } from '../timelines/state-partition.js';

const T0 = Date.UTC(2026, 0, 12, 9, 0); // 09:00 UTC
const at = (min: number, sec = 0) => T0 + min * 60_000 + sec * 1_000;
const opts: StateWindowOptions = { outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 15 };
let seq = 0;
const ev = (ts: number, state: AgentState, reason?: string, agentId = 'a1'): AgentEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'agent',
  id: `e${++seq}`,
  ts,
  body: { agentId, state, ...(reason === undefined ? {} : { reason }) },
});
const items = (events: AgentEvent[], from = 0) => events.map((event, i) => ({ event, offset: from + i }));

/** Runs events in batches of `cut`; returns the newest row per (agent, windowSec, windowStart). */
function run(events: AgentEvent[], cut = events.length, o = opts): Map<string, AgentWindowRow> {
  const p = new AgentPartition(o);
  const rows = new Map<string, AgentWindowRow>();
  let shrinking = 0;
  for (let i = 0; i < events.length; i += cut) {
    for (const r of p.process(items(events.slice(i, i + cut), i), i).rows) {
      const k = `${r.agentId}|${r.windowSec}|${r.windowStart}`;
      if (r.version <= (rows.get(k)?.version ?? 0)) shrinking++;
      rows.set(k, r);
    }
  }
  p.close();
  expect(shrinking, 'a re-emitted row must carry a higher version').toBe(0);
  return rows;
}

// One agent's morning: a call with a hold, a 15-minute break across 09:15, a second call across
// 09:30's ACW, lunch from 09:40, logout at 10:10. Agent b's event at 10:20:10 moves the watermark
// to 10:19:59.999, closing every interval up to 10:15.
const day = [
  ev(at(0), 'AVAILABLE'),
  ev(at(0, 40), 'RINGING'),
  ev(at(0, 50), 'ON_CALL'),
  ev(at(3, 20), 'HOLD'),
  ev(at(4), 'ON_CALL'),
  ev(at(5, 30), 'ACW'),
  ev(at(6), 'AVAILABLE'),
  ev(at(7, 15), 'AUX', 'break'),
  ev(at(22, 15), 'AVAILABLE'),
  ev(at(25), 'RINGING'),
  ev(at(25, 10), 'ON_CALL'),
  ev(at(29, 10), 'ACW'),
  ev(at(30, 10), 'AVAILABLE'),
  ev(at(40), 'AUX', 'lunch'),
  ev(at(70), 'LOGGED_OUT'),
  ev(at(80, 10), 'AVAILABLE', undefined, 'b1'),
];
const s = (n: number) => n * 1_000;

describe('AgentPartition', () => {
  it('turns a day of states into hand-computed 15-minute intervals', () => {
    const rows = run(day);
    const iv = (min: number) => rows.get(`a1|900|${at(min)}`)!;
    expect(iv(0)).toMatchObject({
      final: true,
      ms: { LOGGED_OUT: 0, AVAILABLE: s(40 + 75), RINGING: s(10), ON_CALL: s(150 + 90), HOLD: s(40), ACW: s(30), AUX: s(465) },
      entries: { LOGGED_OUT: 0, AVAILABLE: 2, RINGING: 1, ON_CALL: 1, HOLD: 1, ACW: 1, AUX: 1 },
      auxMsByReason: { break: s(465) },
    });
    expect(occupancy(iv(0).ms)).toBeCloseTo(310 / 425, 12);
    expect(utilisation(iv(0).ms)).toBeCloseTo(310 / 900, 12);
    expect(iv(15)).toMatchObject({
      ms: { AVAILABLE: s(165), RINGING: s(10), ON_CALL: s(240), HOLD: 0, ACW: s(50), AUX: s(435) },
      entries: { AVAILABLE: 1, RINGING: 1, ON_CALL: 1, ACW: 1, AUX: 0 },
      auxMsByReason: { break: s(435) },
    });
    expect(iv(30)).toMatchObject({
      ms: { ACW: s(10), AVAILABLE: s(590), AUX: s(300) },
      entries: { AVAILABLE: 1, AUX: 1 },
      auxMsByReason: { lunch: s(300) },
    });
    expect(iv(45)).toMatchObject({ ms: { AUX: s(900) }, entries: { AUX: 0 } });
    expect(iv(60)).toMatchObject({ final: true, ms: { AUX: s(600), LOGGED_OUT: 0 }, entries: { LOGGED_OUT: 1 } });
    expect(rows.has(`a1|900|${at(75)}`)).toBe(false); // logged out: not ticking
  });

  it('splits the same day into minutes that add up to the intervals', () => {
    const rows = run(day);
    const min = (m: number) => rows.get(`a1|60|${at(m)}`)!;
    expect(min(0)).toMatchObject({
      ms: { AVAILABLE: s(40), RINGING: s(10), ON_CALL: s(10) },
      entries: { AVAILABLE: 1, RINGING: 1, ON_CALL: 1 },
    });
    expect(min(3)).toMatchObject({ ms: { ON_CALL: s(20), HOLD: s(40) }, entries: { HOLD: 1, ON_CALL: 0 } });
    expect(min(4)).toMatchObject({ ms: { ON_CALL: s(60) }, entries: { ON_CALL: 0 } }); // a resume is not a new call
    expect(min(7)).toMatchObject({ ms: { AVAILABLE: s(15), AUX: s(45) }, auxMsByReason: { break: s(45) } });
    expect(min(70)).toMatchObject({ ms: { AUX: 0 }, entries: { LOGGED_OUT: 1 } });
    expect(rows.has(`a1|60|${at(71)}`)).toBe(false);
    const minutes = [...rows.values()].filter((r) => r.agentId === 'a1' && r.windowSec === 60);
    expect(minutes).toHaveLength(71);
    for (const start of [0, 15, 30, 45, 60].map((m) => at(m))) {
      const inside = minutes.filter((r) => r.windowStart >= start && r.windowStart < start + 900_000);
      const total = (k: 'ms' | 'entries') =>
        Object.fromEntries(Object.keys(inside[0]![k]).map((st) => [st, inside.reduce((a, r) => a + r[k][st as AgentState], 0)]));
      expect(total('ms')).toEqual(rows.get(`a1|900|${start}`)!.ms);
      expect(total('entries')).toEqual(rows.get(`a1|900|${start}`)!.entries);
    }
  });

  it('gives the same final rows however the stream is cut into batches (replays reproduce versions)', () => {
    const states: AgentState[] = ['AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ON_CALL', 'ACW', 'AUX', 'LOGGED_OUT'];
    // Jitter within the out-of-orderness, and every 13th change 90 s late (within the lateness): corrections.
    const events = Array.from({ length: 300 }, (_, i) =>
      ev(
        at(0, i * 7) + ((i * 3_001) % 4_000) - (i % 13 === 0 ? 90_000 : 0),
        states[(i * 5) % states.length]!,
        i % 2 ? 'x' : 'y',
        `a${i % 4}`,
      ),
    );
    const finals = (cut: number) => new Map([...run(events, cut)].filter(([, r]) => r.final));
    const one = finals(300);
    expect(one.size).toBeGreaterThan(50);
    expect(finals(7)).toEqual(one);
    expect(finals(1)).toEqual(one);
  });

  it('ends with the same stored rows after a crash and a restart from the commit position, wherever it crashed', () => {
    const states: AgentState[] = ['AVAILABLE', 'RINGING', 'ON_CALL', 'ACW', 'AUX', 'AVAILABLE', 'LOGGED_OUT'];
    const events = Array.from({ length: 400 }, (_, i) =>
      ev(at(0, i * 6) + ((i * 2_011) % 4_000) - (i % 17 === 0 ? 200_000 : 0), states[(i * 3) % states.length]!, `r${i % 3}`, `a${i % 5}`),
    );
    const o = { ...opts, allowedLatenessMs: 300_000 };
    /** A store keeping the highest version per key (equal: the later write). */
    const apply = (store: Map<string, AgentWindowRow>, rows: AgentWindowRow[]) => {
      for (const r of rows) {
        const k = `${r.agentId}|${r.windowSec}|${r.windowStart}`;
        if (r.version >= (store.get(k)?.version ?? -1)) store.set(k, r);
      }
    };
    const feed = (p: AgentPartition, store: Map<string, AgentWindowRow>, from: number, to: number) => {
      for (let i = from; i < to; i += 25) apply(store, p.process(items(events.slice(i, Math.min(i + 25, to)), i), i).rows);
    };
    // What a reader sees (versions differ: each reader's rows carry its epoch).
    const figures = (store: Map<string, AgentWindowRow>) =>
      new Map([...store].map(([k, r]) => [k, { final: r.final, ms: r.ms, entries: r.entries, aux: r.auxMsByReason }]));
    const whole = new Map<string, AgentWindowRow>();
    feed(new AgentPartition(o), whole, 0, events.length);
    const resumed: number[] = [];
    for (const crash of [50, 125, 200, 275, 350, 390]) {
      const store = new Map<string, AgentWindowRow>();
      const first = new AgentPartition(o);
      feed(first, store, 0, crash);
      const resume = first.commitPosition(crash);
      resumed.push(resume);
      feed(new AgentPartition(o, first.commitMetadata()), store, resume, events.length);
      expect(figures(store), `crash at ${crash}, resumed at ${resume}`).toEqual(figures(whole));
    }
    // Without what the first reader committed, a restart rebuilds finished windows from partial history
    // and, in a later epoch, overwrites them: the metadata is what keeps them quiet.
    const differs = [50, 125, 200, 275, 350, 390].filter((crash) => {
      const store = new Map<string, AgentWindowRow>();
      const first = new AgentPartition(o);
      feed(first, store, 0, crash);
      feed(
        new AgentPartition(o, JSON.stringify({ state: 1, epoch: 1, watermark: null })),
        store,
        first.commitPosition(crash),
        events.length,
      );
      return JSON.stringify([...figures(store)]) !== JSON.stringify([...figures(whole)]);
    });
    expect(differs.length).toBeGreaterThan(0);
    expect(resumed.filter((r) => r > 0).length).toBeGreaterThan(2); // most restarts replay only a suffix
  });

  it('corrects every window a late change touches, to what an in-order stream gives', () => {
    const late = ev(at(2, 30), 'AUX', 'coaching');
    const base = [ev(at(0), 'AVAILABLE'), ev(at(6), 'ON_CALL'), ev(at(9, 10), 'ACW')];
    const closer = ev(at(16), 'AVAILABLE', undefined, 'b1');
    const inOrder = run([base[0]!, late, ...base.slice(1), closer]);
    const p = new AgentPartition(opts);
    p.process(items(base), 0);
    const corrected = p.process(items([late], 3), 1).rows;
    // Minutes 2–5 were final: corrected at once. The interval is still open: no row until it closes.
    expect(corrected.map((r) => `${r.windowSec}:${(r.windowStart - T0) / 60_000}:${r.final}`)).toEqual([
      '60:2:true',
      '60:3:true',
      '60:4:true',
      '60:5:true',
    ]);
    expect(corrected[0]).toMatchObject({ ms: { AVAILABLE: s(30), AUX: s(30) }, entries: { AUX: 1 }, auxMsByReason: { coaching: s(30) } });
    const closed = p.process(items([closer], 4), 2).rows.find((r) => r.agentId === 'a1' && r.windowSec === 900)!;
    expect(closed.final).toBe(true);
    for (const r of [...corrected, closed]) {
      const want = inOrder.get(`a1|${r.windowSec}|${r.windowStart}`)!;
      expect([r.ms, r.entries, r.auxMsByReason]).toEqual([want.ms, want.entries, want.auxMsByReason]);
    }
  });

  it('commits its epoch and watermark; the next reader takes the next epoch and outranks every row before', () => {
    const first = new AgentPartition(opts);
    expect(parseResumePoint(first.commitMetadata())).toEqual({ epoch: 1, watermark: Number.NEGATIVE_INFINITY });
    const rows1 = first.process(items([ev(at(0), 'AVAILABLE'), ev(at(2), 'ON_CALL')]), 0).rows;
    const meta = first.commitMetadata();
    expect(parseResumePoint(meta)).toEqual({ epoch: 1, watermark: at(1) - 1 }); // the last ms of the last minute the events completed
    const second = new AgentPartition(opts, meta);
    const rows2 = second.process(items([ev(at(0), 'AVAILABLE'), ev(at(2), 'ON_CALL')]), 0).rows;
    expect(parseResumePoint(second.commitMetadata())?.epoch).toBe(2);
    expect(Math.min(...rows2.map((r) => r.version))).toBeGreaterThan(Math.max(...rows1.map((r) => r.version)));
    expect(rows1.every((r) => r.version > EPOCH && r.version < 2 * EPOCH)).toBe(true);
    // What is not a resume point (none, another program's metadata, a bad epoch) starts at epoch 1.
    for (const bad of [
      undefined,
      '',
      'x',
      '{"epoch":3}',
      '{"state":1,"epoch":-1,"watermark":0}',
      '{"state":1,"epoch":1.5,"watermark":0}',
      '{"state":1,"epoch":2,"watermark":"soon"}',
    ]) {
      expect(parseResumePoint(bad), String(bad)).toBeUndefined();
    }
  });

  it('reports the state it holds, which is freed once the agent has logged out and its windows are past their lateness', () => {
    const p = new AgentPartition(opts);
    expect(p.stateSize).toBe(0);
    p.process(items([ev(at(0), 'AVAILABLE'), ev(at(0, 30), 'ON_CALL'), ev(at(1, 10), 'LOGGED_OUT')]), 0);
    // 3 ids, 1 timeline, and accumulators of minutes 0 and 1 and of the interval.
    expect(p.stateSize).toBeGreaterThanOrEqual(3 + 1 + 3);
    const held = p.stateSize;
    p.process(items([ev(at(40), 'LOGGED_OUT', undefined, 'a2')], 3), 1);
    // a1 is forgotten and its windows freed; a2 holds one id, its last change, and the logout counted in
    // its minute window (fired, still within its lateness) and its interval window.
    expect(p.stateSize).toBeLessThan(held);
    expect(p.stateSize).toBe(1 + 1 + 2);
    p.close();
  });

  it('sends a change past the allowed lateness aside and counts duplicates once', () => {
    const p = new AgentPartition({ ...opts, allowedLatenessMs: 60_000 });
    const dup = ev(at(0), 'AVAILABLE');
    expect(p.process(items([dup, dup, ev(at(10), 'AUX', 'x')]), 0)).toMatchObject({ duplicates: 1, late: 0 });
    const out = p.process(items([ev(at(1), 'ON_CALL')], 3), 1);
    expect(out.late).toBe(1);
    expect(out.rows).toEqual([]);
  });

  it('holds the commit position at the change an open interval still needs, and lets go once the agent logs out', () => {
    const p = new AgentPartition({ ...opts, outOfOrdernessMs: 0, allowedLatenessMs: 60_000 });
    p.process(items([ev(at(0), 'AVAILABLE'), ev(at(1), 'AVAILABLE', undefined, 'b1')], 10), 0);
    p.process(items([ev(at(30), 'AUX', 'x', 'b1')], 12), 0);
    expect(p.commitPosition(13)).toBe(10); // a1 still AVAILABLE since offset 10
    expect(p.agents).toBe(2);
    p.process(items([ev(at(39, 30), 'LOGGED_OUT'), ev(at(40), 'AUX', 'y', 'b1')], 13), 0);
    expect(p.commitPosition(15)).toBe(10); // the logout is within the lateness: a late change before it needs offset 10
    p.process(items([ev(at(45), 'AUX', 'z', 'b1')], 15), 0);
    expect(p.commitPosition(16)).toBe(10); // the interval 09:30–09:45 can still take late data: it needs a1 whole
    p.process(items([ev(at(47), 'AUX', 'w', 'b1')], 16), 0);
    expect(p.commitPosition(17)).toBe(14); // a1 forgotten; b1's AUX of offset 14 is in effect at 09:45
    expect(p.agents).toBe(1);
    expect(() => new AgentPartition({ ...opts, intervalMinutes: 20 as 15 })).toThrow(/intervalMinutes must be 15 or 30/);
  });
});
