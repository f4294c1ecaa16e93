import { describe, expect, it } from 'vitest';
import { StateSpaceError, erlangAMetrics, erlangB, erlangC, erlangCMetrics, trafficErlangs } from './erlang.js';

/** Erlang B by its defining sum (A^N/N!) / Σ_{k≤N} A^k/k!, for small N only. */
function erlangBDirect(a: number, n: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= n; k++) {
    term *= a / k;
    sum += term;
  }
  return term / sum;
}

describe('erlangB', () => {
  it('matches the closed forms B(A,0) = 1 and B(A,1) = A/(1+A)', () => {
    expect(erlangB(4, 0)).toBe(1);
    expect(erlangB(3, 1)).toBeCloseTo(0.75, 15);
    expect(erlangB(0, 5)).toBe(0);
  });

  it('agrees with the defining sum', () => {
    for (const [a, n] of [
      [2, 5],
      [10, 14],
      [48, 55],
      [0.5, 3],
      [30, 30],
      [5, 10],
    ] as const) {
      expect(erlangB(a, n)).toBeCloseTo(erlangBDirect(a, n), 13);
    }
  });

  it('stays finite where A^N and N! overflow', () => {
    const b = erlangB(4900, 5000);
    expect(Number.isFinite(b)).toBe(true);
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(0.01);
  });

  it('rejects negative traffic and fractional servers', () => {
    expect(() => erlangB(-1, 3)).toThrow(RangeError);
    expect(() => erlangB(1, 2.5)).toThrow(RangeError);
  });
});

describe('erlangC: published worked examples', () => {
  // Call Centre Helper's "Erlang C Formula – Made Simple With an Easy Worked Example"
  // (callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in 30 minutes,
  // AHT 180 s, 80% in 20 s. Exact figures as published in the README of the CRAN package
  // ErlangC 0.1.0 (github.com/cran/ErlangC, `calculate_agents` example, $process table).
  const workload = { callsPerHour: 200, ahtSeconds: 180 };
  const published = [
    { n: 11, pw: 0.6821182, sl: 0.3896138, asa: 122.78127684408, occ: 0.9090909 },
    { n: 12, pw: 0.4493882, sl: 0.640158, asa: 40.4449401868444, occ: 0.8333333 },
    { n: 13, pw: 0.2852705, sl: 0.7955948, asa: 17.1162271821896, occ: 0.7692308 },
    { n: 14, pw: 0.1741319, sl: 0.88835, asa: 7.83593701177724, occ: 0.7142857 },
  ];

  it('gives 10 Erlangs of traffic', () => {
    expect(trafficErlangs(workload)).toBe(10);
  });

  it.each(published)('reproduces the table row for N = $n', ({ n, pw, sl, asa, occ }) => {
    const m = erlangCMetrics(workload, n, 20);
    expect(m.probabilityOfWait).toBeCloseTo(pw, 6);
    expect(m.serviceLevel).toBeCloseTo(sl, 5);
    expect(m.asa).toBeCloseTo(asa, 9);
    expect(m.occupancy).toBeCloseTo(occ, 6);
  });

  // CCmath (Ger Koole's company), Python package `erlangccmath`, demo script, "ERLANG C" example:
  // 240 calls per hour, AHT 3 min, acceptable waiting time 20 s (entered as 0.333 min), 14 agents ->
  // "Average speed of answering a call is 0.72 minutes; 61.42% of calls are answered
  // within 20 seconds; the agents are busy 85.71% of the time".
  it('reproduces the CCmath Erlang C example (240 calls/h, AHT 3 min, 14 agents)', () => {
    const m = erlangCMetrics({ callsPerHour: 240, ahtSeconds: 180 }, 14, 0.333 * 60);
    expect(m.serviceLevel * 100).toBeCloseTo(61.42, 2);
    expect(m.asa / 60).toBeCloseTo(0.72, 2);
    expect(m.occupancy * 100).toBeCloseTo(85.71, 2);
  });
});

describe('erlangC: properties', () => {
  it('is 1 when the agents cannot carry the traffic', () => {
    expect(erlangC(10, 10)).toBe(1);
    const m = erlangCMetrics({ callsPerHour: 200, ahtSeconds: 180 }, 10, 20);
    expect(m).toMatchObject({ probabilityOfWait: 1, serviceLevel: 0, asa: Infinity, occupancy: 1 });
  });

  it('service level rises and ASA falls with every extra agent', () => {
    const w = { callsPerHour: 1200, ahtSeconds: 240 };
    for (let n = 81; n < 120; n++) {
      const now = erlangCMetrics(w, n, 20);
      const next = erlangCMetrics(w, n + 1, 20);
      expect(next.serviceLevel).toBeGreaterThan(now.serviceLevel);
      expect(next.asa).toBeLessThan(now.asa);
      expect(next.probabilityOfWait).toBeLessThan(now.probabilityOfWait);
    }
  });

  it('treats no traffic as perfect service', () => {
    expect(erlangCMetrics({ callsPerHour: 0, ahtSeconds: 180 }, 0, 20)).toMatchObject({
      serviceLevel: 1,
      asa: 0,
      occupancy: 0,
      probabilityOfWait: 0,
    });
  });
});

/** Stationary law of M/M/N+M by plain products (no logs, no truncation logic): small cases only. */
function chainDirect(lambda: number, mu: number, theta: number, n: number, states: number): number[] {
  const w = [1];
  for (let k = 1; k < states; k++) w.push((w[k - 1] as number) * (lambda / (Math.min(k, n) * mu + Math.max(k - n, 0) * theta)));
  const z = w.reduce((s, x) => s + x, 0);
  return w.map((x) => x / z);
}

/** P(Binomial(n, p) ≥ m). */
function binomialTail(n: number, p: number, m: number): number {
  let pmf = (1 - p) ** n;
  let tail = m <= 0 ? pmf : 0;
  for (let k = 0; k < n; k++) {
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    if (k + 1 >= m) tail += pmf;
  }
  return tail;
}

describe('erlangA: published worked example', () => {
  // CCmath `erlangccmath` demo script, "ERLANG X" example with redial probability 0 and 100 lines
  // (86 waiting places, blocking 0%), i.e. Erlang A: 240 calls per hour, AHT 3 min, average
  // patience 1 min, acceptable waiting time 20 s (entered as 0.333 min), 14 agents ->
  // "Average speed of answering a call is 0.1 minutes; 87.97% of calls are answered within
  // 20 seconds; 7.43% of customers abandon; the agents are busy 79.34% of the time".
  // CCmath's service level is P(offered wait ≤ t) and its ASA the mean offered wait E[V].
  const m = erlangAMetrics({ callsPerHour: 240, ahtSeconds: 180 }, 60, 14, 0.333 * 60);

  it('reproduces abandonment, occupancy, service level and ASA', () => {
    expect(m.probabilityOfAbandon * 100).toBeCloseTo(7.43, 2);
    expect(m.occupancy * 100).toBeCloseTo(79.34, 2);
    expect(m.offeredServiceLevel * 100).toBeCloseTo(87.97, 2);
    expect(m.meanOfferedWait / 60).toBeCloseTo(0.1, 2);
  });

  it('answers fewer calls within t than the offered-wait service level counts', () => {
    expect(m.serviceLevel).toBeLessThan(m.offeredServiceLevel);
    expect(m.serviceLevel).toBeCloseTo(0.8615, 4);
  });
});

describe('erlangA: exact cross-checks', () => {
  // With c = Nμ/θ an integer, the offered wait from j queued calls is the (j+1)-th order
  // statistic of c+j Exp(θ) draws, so P(V ≤ t | j) = P(Bin(c+j, p) ≥ j+1), p = 1 − e^(−θt);
  // tilting by the caller's own patience gives P(served within t | j) =
  // Nμ/(Nμ+(j+1)θ)·P(Bin(c+j+1, p) ≥ j+1). An independent route to the Mandelbaum–Zeltyn integrals.
  it('matches the order-statistic formulas for the service levels', () => {
    const lambda = 240 / 3600;
    const aht = 180;
    const patience = 90;
    const n = 14;
    const t = 20;
    const mu = 1 / aht;
    const theta = 1 / patience;
    const a = n * mu;
    const c = Math.round(a / theta);
    expect(c).toBe(7);
    const pi = chainDirect(lambda, mu, theta, n, 200);
    const p = 1 - Math.exp(-theta * t);
    let served = 0;
    let offered = 0;
    pi.forEach((q, k) => {
      if (k < n) {
        served += q;
        offered += q;
        return;
      }
      const j = k - n;
      offered += q * binomialTail(c + j, p, j + 1);
      served += q * (a / (a + (j + 1) * theta)) * binomialTail(c + j + 1, p, j + 1);
    });
    const m = erlangAMetrics({ callsPerHour: 240, ahtSeconds: aht }, patience, n, t);
    expect(m.serviceLevel).toBeCloseTo(served, 10);
    expect(m.offeredServiceLevel).toBeCloseTo(offered, 10);
    const lq = pi.reduce((s, q, k) => s + Math.max(k - n, 0) * q, 0);
    expect(m.probabilityOfAbandon).toBeCloseTo((theta * lq) / lambda, 12);
  });

  it('answers every call that will be answered once t is long', () => {
    const m = erlangAMetrics({ callsPerHour: 1000, ahtSeconds: 300 }, 120, 80, 1e5);
    expect(m.serviceLevel).toBeCloseTo(1 - m.probabilityOfAbandon, 9);
    expect(m.offeredServiceLevel).toBeCloseTo(1, 9);
  });

  it('with infinite patience is exactly Erlang C', () => {
    const w = { callsPerHour: 240, ahtSeconds: 180 };
    const c = erlangCMetrics(w, 14, 20);
    const a = erlangAMetrics(w, Infinity, 14, 20);
    expect(a.probabilityOfAbandon).toBe(0);
    for (const key of ['probabilityOfWait', 'serviceLevel', 'asa', 'occupancy'] as const) expect(a[key]).toBeCloseTo(c[key], 9);
    expect(() => erlangAMetrics(w, Infinity, 12, 20)).toThrow(RangeError);
  });
});

describe('erlangA: properties', () => {
  const w = { callsPerHour: 1200, ahtSeconds: 240 }; // 80 Erlangs

  it('tends to Erlang C as patience grows', () => {
    const c = erlangCMetrics(w, 86, 20);
    let previousGap = Infinity;
    for (const patience of [600, 6000, 60000, 6e6]) {
      const a = erlangAMetrics(w, patience, 86, 20);
      const gap =
        Math.abs(a.serviceLevel - c.serviceLevel) + Math.abs(a.asa - c.asa) / c.asa + Math.abs(a.probabilityOfWait - c.probabilityOfWait);
      expect(gap).toBeLessThan(previousGap);
      previousGap = gap;
    }
    const far = erlangAMetrics(w, 6e6, 86, 20);
    expect(far.serviceLevel).toBeCloseTo(c.serviceLevel, 4);
    expect(far.asa).toBeCloseTo(c.asa, 2);
    expect(far.probabilityOfWait).toBeCloseTo(c.probabilityOfWait, 4);
  });

  it('service level rises, abandonment, ASA and occupancy fall with every extra agent, from N = 1 up', () => {
    for (const patience of [12, 90, 1800]) {
      let previous = erlangAMetrics(w, patience, 1, 20);
      for (let n = 2; n <= 110; n++) {
        const m = erlangAMetrics(w, patience, n, 20);
        expect(m.serviceLevel).toBeGreaterThanOrEqual(previous.serviceLevel);
        expect(m.probabilityOfAbandon).toBeLessThan(previous.probabilityOfAbandon);
        expect(m.asa).toBeLessThanOrEqual(previous.asa * (1 + 1e-12));
        expect(m.occupancy).toBeLessThanOrEqual(previous.occupancy + 1e-12); // both ≈ 1 while saturated
        previous = m;
      }
      expect(previous.serviceLevel).toBeGreaterThan(0.95);
    }
  });

  it('is stable under overload: the fluid limit P(Ab) ≈ 1 − N/A', () => {
    const m = erlangAMetrics({ callsPerHour: 36000, ahtSeconds: 180 }, 60, 1000, 20); // A = 1800
    expect(m.probabilityOfAbandon).toBeCloseTo(1 - 1000 / 1800, 6);
    expect(m.occupancy).toBeCloseTo(1, 6);
    expect(Number.isFinite(m.asa)).toBe(true);
  });

  it('handles thousands of agents without overflow', () => {
    const m = erlangAMetrics({ callsPerHour: 200000, ahtSeconds: 180 }, 120, 9800, 20); // A = 10000
    for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
    expect(m.probabilityOfAbandon).toBeGreaterThan(0.02);
    expect(m.probabilityOfAbandon).toBeLessThan(0.021);
  });

  it('integrates a long target time on a sharply peaked wait density', () => {
    const m = erlangAMetrics({ callsPerHour: 200000, ahtSeconds: 180 }, 120, 10100, 1e5);
    expect(m.serviceLevel).toBeCloseTo(1 - m.probabilityOfAbandon, 9);
    expect(m.offeredServiceLevel).toBeCloseTo(1, 9);
  });

  it('refuses, before building it, a chain of millions of states (days of patience under overload)', () => {
    expect(() => erlangAMetrics({ callsPerHour: 20000, ahtSeconds: 180 }, 1e7, 10, 20)).toThrow(StateSpaceError);
  });

  it('rejects a non-positive patience', () => {
    expect(() => erlangAMetrics(w, 0, 10, 20)).toThrow(RangeError);
    expect(() => erlangAMetrics(w, -5, 10, 20)).toThrow(RangeError);
  });
});
