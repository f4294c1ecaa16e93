import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../pipelines/events/schema.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { erlangAMetrics } from '../planner/erlang.js';
import type { TenantConfig, TrafficConfig } from './config.js';
import { batches, TrafficSimulation } from './model.js';
import { BANK_PROFILE, HOUR_MS } from './profile.js';
import { buildScenario } from './scenario.js';

const T0 = Date.UTC(2026, 0, 12, 0, 0);

/** One tenant, one skill group, `agents` agents logged in all the time. */
function single(o: {
  agents: number;
  callsPerHour: number;
  hours: number;
  seed?: number;
  extra?: Partial<TrafficConfig>;
  group?: Partial<TenantConfig['skillGroups'][number]>;
}): TrafficConfig {
  return {
    seed: o.seed ?? 11,
    start: T0,
    durationMs: o.hours * HOUR_MS,
    tenants: [
      {
        id: 'acme',
        ringSec: 0,
        skillGroups: [
          {
            id: 'sales',
            callsPerHour: o.callsPerHour,
            talk: { kind: 'exponential', meanSec: 180 },
            patience: { kind: 'exponential', meanSec: 120 },
            ...o.group,
          },
        ],
        agents: Array.from({ length: o.agents }, (_, i) => ({ id: `a${i}`, skillGroups: ['sales'] })),
      },
    ],
    ...o.extra,
  };
}

function fingerprint(events: Iterable<TelemetryEvent>): { hash: string; n: number } {
  const h = createHash('sha256');
  let n = 0;
  for (const e of events) {
    h.update(JSON.stringify(e));
    h.update('\n');
    n++;
  }
  return { hash: h.digest('hex'), n };
}

describe('TrafficSimulation reproduces its parameters', () => {
  it('arrival rate, drawn handle times and the abandonment share agree with the configuration and with Erlang A', () => {
    // A = 600/h × 180 s = 30 Erlangs on 30 agents, exponential talk and patience: the Erlang A (M/M/N+M) model itself.
    const sim = new TrafficSimulation(single({ agents: 30, callsPerHour: 600, hours: 12 }));
    for (const e of sim) void e;
    const g = sim.summary().skillGroups[0]!;
    expect(g.expectedOffered).toBeCloseTo(7200, 6);
    // Poisson: within 4 standard deviations of the integrated rate.
    expect(Math.abs(g.offered - g.expectedOffered)).toBeLessThan(4 * Math.sqrt(g.expectedOffered));
    expect(g.drawn.talk.meanSec!).toBeGreaterThan(180 * 0.95);
    expect(g.drawn.talk.meanSec!).toBeLessThan(180 * 1.05);
    expect(g.drawn.patience.meanSec!).toBeGreaterThan(120 * 0.95);
    expect(g.drawn.patience.meanSec!).toBeLessThan(120 * 1.05);
    const erlang = erlangAMetrics({ callsPerHour: 600, ahtSeconds: 180 }, 120, 30, 20);
    // A sanity band, not a proof: the run starts empty and its share is of calls that left the queue.
    expect(erlang.probabilityOfAbandon).toBeGreaterThan(0.03);
    expect(Math.abs(g.abandonShare! - erlang.probabilityOfAbandon)).toBeLessThan(0.25 * erlang.probabilityOfAbandon + 0.01);
    expect(Math.abs(g.asaSec! - erlang.asa)).toBeLessThan(0.3 * erlang.asa + 2);
  });

  it('ring times vary around ringSec when ringCv > 0, from their own stream: the handle times drawn stay the same', () => {
    const run = (ringCv: number) => {
      const cfg = single({ agents: 60, callsPerHour: 300, hours: 2 });
      const sim = new TrafficSimulation({ ...cfg, tenants: [{ ...cfg.tenants[0]!, ringSec: 2, ringCv }] });
      const waits: number[] = [];
      for (const e of sim) {
        const b = e.body as { type?: string; waitMs?: number };
        if (e.source === 'skillgroup' && b.type === 'ANSWERED') waits.push(b.waitMs!);
      }
      return { waits, talk: sim.summary().skillGroups[0]!.drawn.talk };
    };
    const fixed = run(0);
    const varied = run(0.5);
    // 60 agents for 10 Erlangs: nobody queues, every wait is the ring time.
    expect(new Set(fixed.waits)).toEqual(new Set([2_000]));
    const mean = varied.waits.reduce((a, b) => a + b, 0) / varied.waits.length;
    expect(mean).toBeGreaterThan(1_800);
    expect(mean).toBeLessThan(2_200);
    expect(new Set(varied.waits).size).toBeGreaterThan(varied.waits.length / 4);
    expect(varied.talk).toEqual(fixed.talk);
  });

  it("a run that starts during an agent's break finds the agent on it (AUX with its reason) until the break ends", () => {
    const cfg = single({ agents: 1, callsPerHour: 0, hours: 1 });
    const start = T0 + 10 * 60_000;
    const t = cfg.tenants[0]!;
    const agent = {
      id: 'a0',
      skillGroups: ['sales'],
      shift: { startMinute: 0, endMinute: 480, breaks: [{ atMinute: 5, minutes: 15, reason: 'coffee' }] },
    };
    const sim = new TrafficSimulation({ ...cfg, start, tenants: [{ ...t, agents: [agent] }] });
    const states: { ts: number; state: string; reason?: string }[] = [];
    for (const e of sim) {
      const b = e.body as { agentId?: string; state?: string; reason?: string };
      if (e.source === 'agent') states.push({ ts: e.ts, state: b.state!, ...(b.reason ? { reason: b.reason } : {}) });
    }
    expect(states.slice(0, 2)).toEqual([
      { ts: start, state: 'AUX', reason: 'coffee' },
      { ts: T0 + 20 * 60_000, state: 'AVAILABLE' },
    ]);
  });

  it('lognormal handle times keep their mean and coefficient of variation, hold share and after-call work included', () => {
    const sim = new TrafficSimulation(
      single({
        agents: 40,
        callsPerHour: 600,
        hours: 10,
        group: {
          talk: { kind: 'lognormal', meanSec: 240, cv: 0.8 },
          hold: { share: 0.25, duration: { kind: 'lognormal', meanSec: 60, cv: 0.5 } },
          acw: { kind: 'lognormal', meanSec: 30, cv: 0.4 },
          patience: { kind: 'lognormal', meanSec: 300, cv: 1.2 },
        },
      }),
    );
    for (const e of sim) void e;
    const g = sim.summary().skillGroups[0]!;
    const near = (x: number | null, want: number, rel: number) => expect(Math.abs(x! - want)).toBeLessThan(rel * want);
    near(g.drawn.talk.meanSec, 240, 0.05);
    near(g.drawn.talk.cv, 0.8, 0.12);
    near(g.drawn.acw.meanSec, 30, 0.03);
    near(g.drawn.acw.cv, 0.4, 0.12);
    near(g.drawn.hold.meanSec, 60, 0.06);
    near(g.drawn.holdShare, 0.25, 0.1);
    near(g.drawn.patience.cv, 1.2, 0.2);
    // Mean handle time of the completed calls: talk + share × hold + ACW.
    near(g.handledMeans!.handleSec, 240 + 0.25 * 60 + 30, 0.07);
  });

  it('a peak ramps the rate to its multiplier: the plateau carries 3× the baseline', () => {
    const peak = { start: T0 + 2 * HOUR_MS, durationMinutes: 150, multiplier: 3, rampMinutes: 15 };
    const sim = new TrafficSimulation(single({ agents: 90, callsPerHour: 300, hours: 6, extra: { peaks: [peak] } }));
    for (const e of sim) void e;
    const s = sim.summary();
    // 6 h × 300 + plateau 2 h × 2 × 300 + two 15-minute ramps averaging ×2: 1800 + 1200 + 150.
    expect(s.skillGroups[0]!.expectedOffered).toBeCloseTo(3150, 6);
    const p = s.peaks[0]!;
    expect(p.baselineExpected).toBeCloseTo(600, 6);
    expect(p.realisedMultiplier!).toBeGreaterThan(2.75);
    expect(p.realisedMultiplier!).toBeLessThan(3.25);
  });

  it('the daily profile shapes arrivals hour by hour, with none in an hour of weight 0', () => {
    const sim = new TrafficSimulation(single({ agents: 60, callsPerHour: 400, hours: 24, extra: { profile: BANK_PROFILE } }));
    const perHour = Array.from({ length: 24 }, () => 0);
    for (const e of sim) if (e.source === 'skillgroup' && e.body.type === 'OFFERED') perHour[Math.floor((e.ts - T0) / HOUR_MS)]!++;
    BANK_PROFILE.forEach((w, h) => {
      const want = 400 * w;
      expect(Math.abs(perHour[h]! - want)).toBeLessThanOrEqual(4 * Math.sqrt(want) + 1);
    });
    expect(perHour[4]).toBe(0);
  });
});

describe('TrafficSimulation streams', () => {
  const scenario = (seed: number) =>
    buildScenario({ seed, start: Date.UTC(2026, 0, 12, 9, 30), minutes: 90, tenants: ['acme', 'globex'], callsPerHour: 240 });

  it('the same seed gives the same stream byte for byte; another seed another stream', () => {
    const a = fingerprint(new TrafficSimulation(scenario(42)));
    const b = fingerprint(new TrafficSimulation(scenario(42)));
    const c = fingerprint(new TrafficSimulation(scenario(43)));
    expect(a.n).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    expect(c.hash).not.toBe(a.hash);
  });

  it('emits valid events of all four sources, in event-time order, with unique ids', () => {
    const ids = new Set<string>();
    const sources = new Set<string>();
    let last = 0;
    for (const e of new TrafficSimulation(scenario(7))) {
      const v = validateEvent(JSON.parse(JSON.stringify(e)));
      if (!v.ok) throw new Error(`${v.reason}: ${JSON.stringify(e)}`);
      expect(e.ts).toBeGreaterThanOrEqual(last);
      last = e.ts;
      expect(ids.has(e.id)).toBe(false);
      ids.add(e.id);
      sources.add(e.source);
    }
    expect([...sources].sort()).toEqual(['agent', 'extension', 'interval', 'skillgroup']);
  });

  it('is lazy: the first events of a 30-day run come without simulating the month', () => {
    const sim = new TrafficSimulation(buildScenario({ seed: 1, start: T0, minutes: 30 * 24 * 60, callsPerHour: 360 }));
    let n = 0;
    for (const e of sim) {
      void e;
      if (++n === 2000) break;
    }
    expect(sim.summary().totals.offered).toBeLessThan(300);
    expect(() => [...sim]).toThrow(/runs once/);
  });

  it('keeps memory bounded over days, a skill group nobody serves included', () => {
    const c = buildScenario({ seed: 5, start: T0, minutes: 3 * 24 * 60, callsPerHour: 240 });
    const t = c.tenants[0]!;
    const orphan = {
      id: 'orphan',
      callsPerHour: 60,
      talk: { kind: 'fixed', sec: 60 },
      patience: { kind: 'exponential', meanSec: 60 },
    } as const;
    const sim = new TrafficSimulation({ ...c, tenants: [{ ...t, skillGroups: [...t.skillGroups, orphan] }] });
    const peak = [0, 0, 0];
    let n = 0;
    for (const e of sim) {
      if (++n % 500 !== 0) continue;
      const day = Math.min(2, Math.floor((e.ts - T0) / (24 * HOUR_MS)));
      const f = sim.footprint();
      peak[day] = Math.max(peak[day]!, f.scheduled + f.queueSlots);
    }
    expect(sim.summary().skillGroups.find((g) => g.skillGroup === 'orphan')!.abandoned).toBeGreaterThan(4000);
    expect(Math.max(...peak)).toBeLessThan(1500);
    expect(peak[2]!).toBeLessThan(1.5 * peak[0]!);
  });

  it('batches a stream into arrays of at most the given size', () => {
    expect([...batches([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...batches([], 3)]).toEqual([]);
    expect(() => [...batches([1], 0)]).toThrow(RangeError);
  });
});

describe('configuration is checked at the door', () => {
  const base = single({ agents: 1, callsPerHour: 10, hours: 1 });
  const tenant = base.tenants[0]!;
  it.each<[string, Partial<TrafficConfig>, RegExp]>([
    ['a zero duration', { durationMs: 0 }, /durationMs/],
    ['a bad tenant id', { tenants: [{ ...tenant, id: 'Acme!' }] }, /tenants\[0\]\.id/],
    [
      'a negative rate',
      { tenants: [{ ...tenant, skillGroups: [{ ...tenant.skillGroups[0]!, callsPerHour: -1 }] }] },
      /tenants\[0\]\.skillGroups\[0\]\.callsPerHour/,
    ],
    [
      'an agent of an unknown group',
      { tenants: [{ ...tenant, agents: [{ id: 'a', skillGroups: ['nope'] }] }] },
      /agents\[0\]\.skillGroups names 'nope'/,
    ],
    ['a profile of 23 hours', { profile: BANK_PROFILE.slice(1) }, /profile must be 24/],
    [
      'a ramp longer than half the peak',
      { peaks: [{ start: T0, durationMinutes: 10, multiplier: 2, rampMinutes: 6 }] },
      /peaks\[0\]\.rampMinutes/,
    ],
    [
      'a break outside the shift',
      {
        tenants: [
          {
            ...tenant,
            agents: [
              {
                id: 'a',
                skillGroups: ['sales'],
                shift: { startMinute: 480, endMinute: 960, breaks: [{ atMinute: 970, minutes: 10, reason: 'break' }] },
              },
            ],
          },
        ],
      },
      /breaks\[0\] must lie inside the shift/,
    ],
    ['an interval of 10 minutes', { intervalSec: 600 as 900 }, /intervalSec/],
  ])('refuses %s', (_, change, message) => {
    expect(() => new TrafficSimulation({ ...base, ...change })).toThrow(message);
  });
});
