import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentState } from '../events/types.js';
import { agentStateTimes } from '../metrics/timeline.js';
import { AGENT_STATES } from '../agent/rows.js';
import { addDelta, emptyDelta, reasonsOf, type Delta } from './figures.js';
import { StateTimelines, type Correction, type TimelineSpec } from './timelines.js';

const W = 60_000;
const T0 = 1_795_000_020_000; // minute-aligned
const plain: TimelineSpec<AgentState> = { states: AGENT_STATES, reasoned: 'AUX' };
const opts = { windowMs: W, allowedLatenessMs: 10 * W, maxOpenStateMs: 24 * 3_600_000 };

/** Sums corrections per window start. */
/** A copy of a correction: the engine's own is valid only during the call. */
const copy = (c: Correction): Correction => ({
  key: c.key,
  windowStart: c.windowStart,
  delta: addDelta(emptyDelta(c.delta.ms.length), c.delta),
});

/** Figures as records keyed by state: the rows' shape, made here generically from the state list. */
interface StateFigures<S extends string> {
  ms: Record<S, number>;
  entries: Record<S, number>;
  byReason: Record<string, number>;
}
function toFigures<S extends string>(states: readonly S[], d: Delta): StateFigures<S> {
  const ms = {} as Record<S, number>;
  const entries = {} as Record<S, number>;
  states.forEach((s, i) => {
    ms[s] = d.ms[i] as number;
    entries[s] = d.entries[i] as number;
  });
  return { ms, entries, byReason: reasonsOf(d) };
}

function sum(corrections: Correction[]): Map<number, StateFigures<AgentState>> {
  const m = new Map<number, Delta>();
  for (const c of corrections) m.set(c.windowStart, addDelta(m.get(c.windowStart) ?? emptyDelta(AGENT_STATES.length), c.delta));
  return new Map([...m].map(([k, d]) => [k, toFigures(AGENT_STATES, d)]));
}

describe('StateTimelines', () => {
  it('refuses bad timing options, naming the field', () => {
    expect(() => new StateTimelines(plain, { ...opts, windowMs: 0 })).toThrow(/windowMs/);
    expect(() => new StateTimelines(plain, { ...opts, allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/);
    expect(() => new StateTimelines(plain, { ...opts, maxOpenStateMs: 11 * W })).toThrow(/maxOpenStateMs must exceed/);
  });

  it('splits a state at window boundaries and cuts the open state at the end of each completed window', () => {
    const t = new StateTimelines(plain, opts);
    const out: Correction[] = [];
    t.change('a', { ts: T0 + 30_000, state: 'AVAILABLE', offset: 0 }, (c) => out.push(copy(c)));
    expect(sum(out).get(T0)?.entries.AVAILABLE).toBe(1);
    expect(sum(out).get(T0)?.ms.AVAILABLE).toBe(0); // nothing credited before the watermark
    t.advance(T0 + 2 * W - 1, (c) => out.push(copy(c))); // minutes T0 and T0+1 complete
    const s = sum(out);
    expect(s.get(T0)?.ms.AVAILABLE).toBe(30_000);
    expect(s.get(T0 + W)?.ms.AVAILABLE).toBe(60_000);
    t.change('a', { ts: T0 + 2 * W + 15_000, state: 'AUX', reason: 'break', offset: 1 }, (c) => out.push(copy(c)));
    const s2 = sum(out);
    expect(s2.get(T0 + 2 * W)).toMatchObject({ ms: { AVAILABLE: 15_000, AUX: 0 }, entries: { AUX: 1 } });
  });

  it('moves time from the old state to the new one when a late change lands inside a span', () => {
    const t = new StateTimelines(plain, opts);
    const out: Correction[] = [];
    const push = (c: Correction) => out.push(copy(c));
    t.change('a', { ts: T0, state: 'AVAILABLE', offset: 0 }, push);
    t.advance(T0 + 3 * W - 1, push);
    t.change('a', { ts: T0 + W + 20_000, state: 'ON_CALL', offset: 1 }, push); // late, within lateness
    const s = sum(out);
    expect(s.get(T0)?.ms).toMatchObject({ AVAILABLE: 60_000, ON_CALL: 0 });
    expect(s.get(T0 + W)?.ms).toMatchObject({ AVAILABLE: 20_000, ON_CALL: 40_000 });
    expect(s.get(T0 + 2 * W)?.ms).toMatchObject({ AVAILABLE: 0, ON_CALL: 60_000 });
    expect(s.get(T0 + W)?.entries.ON_CALL).toBe(1);
  });

  it('refuses a change older than the allowed lateness and forgets what no open window needs', () => {
    const t = new StateTimelines({ ...plain, untracked: ['LOGGED_OUT'] }, { ...opts, allowedLatenessMs: W });
    const push = () => {};
    t.change('a', { ts: T0, state: 'AVAILABLE', offset: 3 }, push);
    t.change('a', { ts: T0 + 10_000, state: 'LOGGED_OUT', offset: 4 }, push);
    t.change('b', { ts: T0 + 5 * W, state: 'AVAILABLE', offset: 5 }, push);
    expect(t.minOffset()).toBe(3);
    t.advance(T0 + 5 * W - 1, push);
    expect(t.change('a', { ts: T0 + 2 * W, state: 'AVAILABLE', offset: 6 }, push)).toBe(false);
    expect(t.size).toBe(1); // a logged out behind the horizon: forgotten; b is ticking
    expect(t.minOffset()).toBe(5);
  });

  it('stops crediting a state held longer than maxOpenStateMs, then forgets the entity', () => {
    const t = new StateTimelines(plain, { ...opts, allowedLatenessMs: W, maxOpenStateMs: 5 * W });
    const out: Correction[] = [];
    t.change('a', { ts: T0, state: 'AUX', reason: 'lunch', offset: 0 }, (c) => out.push(copy(c)));
    t.advance(T0 + 20 * W - 1, (c) => out.push(copy(c)));
    const s = sum(out);
    expect([...s.keys()]).toEqual([T0, T0 + W, T0 + 2 * W, T0 + 3 * W, T0 + 4 * W]);
    expect(s.get(T0 + 4 * W)?.byReason).toEqual({ lunch: 60_000 });
    expect(t.size).toBe(0);
    expect(t.minOffset()).toBe(Infinity);
  });

  it('sums of corrections equal agentStateTimes over the whole timeline, for any arrival order within the bound', () => {
    const change = fc.record({
      gap: fc.integer({ min: 0, max: 150_000 }),
      state: fc.constantFrom(...AGENT_STATES),
      reason: fc.constantFrom('a', 'b', undefined),
      delay: fc.integer({ min: 0, max: 5 * W }),
    });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 40 }), (spec) => {
        let ts = T0;
        const changes = spec.map((c, i) => ({
          ts: (ts += c.gap),
          state: c.state,
          ...(c.reason === undefined ? {} : { reason: c.reason }),
          offset: i,
          arrival: ts + c.delay,
        }));
        const arrivals = [...changes].sort((a, b) => a.arrival - b.arrival || a.offset - b.offset);
        const t = new StateTimelines(plain, { ...opts, allowedLatenessMs: 6 * W });
        const out: Correction[] = [];
        const push = (c: Correction) => out.push(copy(c));
        for (const c of arrivals) {
          expect(t.change('a', c, push)).toBe(true);
          t.advance(Math.floor((c.arrival - 2 * W + 1) / W) * W - 1, push);
        }
        const end = Math.ceil((ts + 1) / W) * W + W;
        t.advance(end - 1, push);
        const got = sum(out);
        // Equal timestamps: the engine keeps arrival order, agentStateTimes the given order.
        const byArrival = arrivals.map(({ ts: at, state, reason }) =>
          reason === undefined ? { ts: at, state } : { ts: at, state, reason },
        );
        for (let s = Math.floor(T0 / W) * W; s < end; s += W) {
          const want = agentStateTimes(byArrival, { from: s, to: s + W });
          const have = got.get(s) ?? toFigures(AGENT_STATES, emptyDelta(AGENT_STATES.length));
          expect(have.ms).toEqual(want.ms);
          expect(have.entries).toEqual(want.entries);
          expect(have.byReason).toEqual(want.byReason);
        }
      }),
      { numRuns: 150 },
    );
  });
});
