import { describe, expect, it } from 'vitest';
import { erlangAMetrics, erlangCMetrics } from './erlang.js';
import { ceilTolerant, scheduledAgents, staffErlangA, staffErlangC } from './staffing.js';

describe('staffErlangC', () => {
  // Call Centre Helper's Erlang C worked example as computed in the README of CRAN ErlangC 0.1.0
  // (`calculate_agents(100 calls / 30 min, AHT 180 s, 20 s, SL 0.8, max occupancy 0.85,
  // shrinkage 0.3)` -> agents 14, agents_shrinked 20).
  it('reproduces the published 14 agents, 20 scheduled', () => {
    const plan = staffErlangC(
      { callsPerHour: 200, ahtSeconds: 180 },
      { serviceLevel: 0.8, targetTimeSeconds: 20, maxOccupancy: 0.85, shrinkage: 0.3 },
    );
    expect(plan.agents).toBe(14);
    expect(plan.scheduledAgents).toBe(20);
    expect(plan.metrics.serviceLevel).toBeCloseTo(0.88835, 5);
  });

  it('returns the smallest N > A meeting the service level', () => {
    for (const [rate, aht, sl, t] of [
      [200, 180, 0.8, 20],
      [1200, 240, 0.9, 15],
      [30, 300, 0.8, 30],
      [5000, 420, 0.85, 60],
    ] as const) {
      const w = { callsPerHour: rate, ahtSeconds: aht };
      const plan = staffErlangC(w, { serviceLevel: sl, targetTimeSeconds: t });
      const a = (rate * aht) / 3600;
      expect(plan.agents).toBeGreaterThan(a);
      expect(plan.metrics.serviceLevel).toBeGreaterThanOrEqual(sl);
      if (plan.agents - 1 > a) expect(erlangCMetrics(w, plan.agents - 1, t).serviceLevel).toBeLessThan(sl);
    }
  });

  it('returns the smallest N meeting an ASA target', () => {
    const w = { callsPerHour: 200, ahtSeconds: 180 };
    const plan = staffErlangC(w, { asaSeconds: 15, targetTimeSeconds: 20 });
    expect(plan.agents).toBe(14); // ASA 17.1 s at 13 agents, 7.8 s at 14 (published table above)
    expect(plan.metrics.asa).toBeLessThanOrEqual(15);
  });

  it('meets both targets when both are given', () => {
    const w = { callsPerHour: 200, ahtSeconds: 180 };
    const slOnly = staffErlangC(w, { serviceLevel: 0.5, targetTimeSeconds: 20 }).agents;
    const both = staffErlangC(w, { serviceLevel: 0.5, asaSeconds: 10, targetTimeSeconds: 20 }).agents;
    expect(slOnly).toBe(12);
    expect(both).toBe(14);
  });

  it('raises N to ⌈A / cap⌉ under an occupancy cap', () => {
    const w = { callsPerHour: 200, ahtSeconds: 180 }; // A = 10
    const plan = staffErlangC(w, { serviceLevel: 0.5, targetTimeSeconds: 20, maxOccupancy: 0.7 });
    expect(plan.agents).toBe(15); // ⌈10 / 0.7⌉ = ⌈14.29⌉
    expect(plan.metrics.occupancy).toBeLessThanOrEqual(0.7);
    expect(staffErlangC(w, { serviceLevel: 0.5, targetTimeSeconds: 20, maxOccupancy: 0.8 }).agents).toBe(13);
    expect(staffErlangC(w, { serviceLevel: 0.5, targetTimeSeconds: 20, maxOccupancy: 0.95 }).agents).toBe(12); // cap not binding
  });

  it('plans no agents for no calls', () => {
    const plan = staffErlangC({ callsPerHour: 0, ahtSeconds: 180 }, { serviceLevel: 0.8, targetTimeSeconds: 20, shrinkage: 0.3 });
    expect(plan).toMatchObject({ agents: 0, scheduledAgents: 0 });
  });

  it('rejects targets that are missing or out of range', () => {
    const w = { callsPerHour: 200, ahtSeconds: 180 };
    expect(() => staffErlangC(w, { targetTimeSeconds: 20 })).toThrow(/target is required/);
    expect(() => staffErlangC(w, { serviceLevel: 1, targetTimeSeconds: 20 })).toThrow(RangeError);
    expect(() => staffErlangC(w, { serviceLevel: 0.8, targetTimeSeconds: -1 })).toThrow(RangeError);
    expect(() => staffErlangC(w, { asaSeconds: 0, targetTimeSeconds: 20 })).toThrow(RangeError);
    expect(() => staffErlangC(w, { serviceLevel: 0.8, targetTimeSeconds: 20, maxOccupancy: 0 })).toThrow(RangeError);
  });
});

describe('staffErlangA', () => {
  const w = { callsPerHour: 2000, ahtSeconds: 180 }; // A = 100 Erlangs

  it('returns the smallest N meeting the target, searching from 1', () => {
    for (const patience of [10, 30, 60, 180]) {
      const plan = staffErlangA(w, patience, { serviceLevel: 0.5, targetTimeSeconds: 20 });
      expect(plan.metrics.serviceLevel).toBeGreaterThanOrEqual(0.5);
      expect(erlangAMetrics(w, patience, plan.agents - 1, 20).serviceLevel).toBeLessThan(0.5);
    }
  });

  it('may staff at or below the offered traffic when callers are impatient', () => {
    const plan = staffErlangA(w, 10, { serviceLevel: 0.5, targetTimeSeconds: 20 });
    expect(plan.agents).toBeLessThanOrEqual(100);
    expect(plan.metrics.probabilityOfAbandon).toBeGreaterThan(0.4);
  });

  it('needs no more agents than Erlang C, and the gap closes as patience grows', () => {
    const target = { serviceLevel: 0.8, targetTimeSeconds: 20 };
    const c = staffErlangC(w, target).agents;
    const byPatience = [30, 120, 600, 1e6].map((p) => staffErlangA(w, p, target).agents);
    for (const n of byPatience) expect(n).toBeLessThanOrEqual(c);
    expect([...byPatience].sort((x, y) => x - y)).toEqual(byPatience);
    expect(byPatience.at(-1)).toBe(c);
  });

  it('meets an ASA target on answered calls', () => {
    const plan = staffErlangA({ callsPerHour: 200, ahtSeconds: 180 }, 60, { asaSeconds: 5, targetTimeSeconds: 20 });
    expect(plan.metrics.asa).toBeLessThanOrEqual(5);
    expect(erlangAMetrics({ callsPerHour: 200, ahtSeconds: 180 }, 60, plan.agents - 1, 20).asa).toBeGreaterThan(5);
  });

  it('raises N until the carried occupancy is within the cap', () => {
    const base = staffErlangA(w, 60, { serviceLevel: 0.5, targetTimeSeconds: 20 });
    expect(base.metrics.occupancy).toBeGreaterThan(0.85);
    const capped = staffErlangA(w, 60, { serviceLevel: 0.5, targetTimeSeconds: 20, maxOccupancy: 0.85 });
    expect(capped.metrics.occupancy).toBeLessThanOrEqual(0.85);
    expect(erlangAMetrics(w, 60, capped.agents - 1, 20).occupancy).toBeGreaterThan(0.85);
  });

  it('skips agent counts whose queue is too long to solve and still finds the answer', () => {
    // Patience of ~32 years: every N < A needs a chain of millions of states (StateSpaceError),
    // so the search must pass over them; the answer is then the Erlang C one.
    const target = { serviceLevel: 0.5, targetTimeSeconds: 20 };
    const plan = staffErlangA(w, 1e9, target);
    expect(plan.agents).toBe(staffErlangC(w, target).agents);
  });

  it('applies shrinkage to the scheduled count', () => {
    const plan = staffErlangA(w, 60, { serviceLevel: 0.8, targetTimeSeconds: 20, shrinkage: 0.25 });
    expect(plan.scheduledAgents).toBe(Math.ceil(plan.agents / 0.75 - 1e-9));
  });
});

describe('shrinkage and ceilings', () => {
  it('does not round float noise up: 21 / (1 − 0.3) is 30 agents', () => {
    expect(21 / (1 - 0.3)).toBeGreaterThan(30); // the float noise being guarded against
    expect(scheduledAgents(21, 0.3)).toBe(30);
    expect(scheduledAgents(14, 0.3)).toBe(20);
    expect(scheduledAgents(14, 0.31)).toBe(21);
    expect(scheduledAgents(14)).toBe(14);
    expect(ceilTolerant(30.000000000000004)).toBe(30);
    expect(ceilTolerant(30.001)).toBe(31);
  });

  it('rejects shrinkage outside [0, 1)', () => {
    expect(() => scheduledAgents(10, 1)).toThrow(RangeError);
    expect(() => scheduledAgents(10, -0.1)).toThrow(RangeError);
  });
});
