import { describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import { silentLogger } from '../core/logger.js';
import type { OutcomeReport } from '../control/outcome.js';
import type { RouteAnswer, RouteInput } from '../control/service-types.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { demoPeaks, startDemoControl } from './demo-control.js';

const T0 = Date.UTC(2026, 0, 5, 9);

/** A stand-in control service: answers every call with `node` (or the backup) and records what it heard. */
function fakeService(answer: (req: RouteInput) => Partial<RouteAnswer> = () => ({ target: 'agent', ctiNode: 'cti-primary' })) {
  const routed: RouteInput[] = [];
  const outcomes: { id: string; report: OutcomeReport; at: number }[] = [];
  let n = 0;
  let clock: ManualClock | undefined;
  return {
    routed,
    outcomes,
    bind(c: ManualClock) {
      clock = c;
    },
    route(req: RouteInput): RouteAnswer {
      routed.push(req);
      return { decisionId: `d${++n}`, target: 'agent', level: 0, reason: 'test', ...answer(req) } as RouteAnswer;
    },
    outcome(id: string, report: OutcomeReport): boolean {
      outcomes.push({ id, report, at: clock?.now() ?? 0 });
      return true;
    },
  };
}

let seq = 0;
function offered(ts: number, type: 'OFFERED' | 'ANSWERED' = 'OFFERED'): TelemetryEvent {
  seq += 1;
  return { v: 1, tenant: 'demo', source: 'skillgroup', id: `e${seq}`, ts, body: { skillGroup: 'sales', callId: `c${seq}`, type } };
}

describe('the demo’s control traffic', () => {
  it('routes each offered call once and reports its outcome later; other events are not calls', () => {
    const clock = new ManualClock(T0);
    const svc = fakeService();
    svc.bind(clock);
    const dc = startDemoControl({
      service: svc,
      clock,
      log: silentLogger,
      seed: 7,
      cti: { atMs: 3_600_000, everyMs: 7_200_000, forMs: 0 },
    });
    dc.observe([offered(T0), offered(T0, 'ANSWERED'), offered(T0)]);
    expect(svc.routed.map((r) => [r.tenant, r.skillGroup])).toEqual([
      ['demo', 'sales'],
      ['demo', 'sales'],
    ]);
    expect(svc.outcomes).toHaveLength(0);
    clock.advance(5_000);
    expect(svc.outcomes.map((o) => o.id).sort()).toEqual(['d1', 'd2']);
    expect(dc.stats()).toMatchObject({ routed: 2, outcomes: 2, refused: 0 });
  });

  it('fails the primary node only inside the scripted windows; healthy calls connect in tens of ms', () => {
    const clock = new ManualClock(T0);
    const svc = fakeService();
    svc.bind(clock);
    const cti = { atMs: 60_000, everyMs: 600_000, forMs: 60_000 };
    const dc = startDemoControl({ service: svc, clock, log: silentLogger, seed: 3, cti });
    expect([0, 59_999, 60_000, 119_999, 120_000, 660_000, 720_000].map((ms) => dc.troubleAt(T0 + ms))).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
    const kinds = (from: number, calls: number) => {
      svc.outcomes.length = 0;
      clock.advanceTo(T0 + from);
      for (let i = 0; i < calls; i++) dc.observe([offered(clock.now())]);
      clock.advance(10_000);
      return svc.outcomes.map((o) => o.report);
    };
    const healthy = kinds(0, 200);
    expect(healthy).toHaveLength(200);
    expect(healthy.filter((r) => 'outcome' in r && (r.outcome === 'failed' || r.outcome === 'timeout'))).toHaveLength(0);
    const latencies = healthy.flatMap((r) => ('outcome' in r && r.outcome === 'connected' ? [r.latencyMs!] : []));
    expect(latencies.length).toBeGreaterThan(180);
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    expect(mean).toBeGreaterThan(25);
    expect(mean).toBeLessThan(60);

    const trouble = kinds(70_000, 200);
    const failures = trouble.filter((r) => 'outcome' in r && (r.outcome === 'failed' || r.outcome === 'timeout')).length;
    // 70 % of the primary's calls fail (30 % refused, 40 % unanswered), the rest are answered seconds late.
    expect(failures).toBeGreaterThan(110);
    expect(failures).toBeLessThan(170);
    expect(trouble.filter((r) => 'outcome' in r && r.outcome === 'connected').every((r) => (r.latencyMs ?? 0) >= 2_500)).toBe(true);
  });

  it('leaves the other node up during the trouble, some of its answers slow but under the breaker’s 2 s', () => {
    const clock = new ManualClock(T0);
    const svc = fakeService(() => ({ target: 'agent', ctiNode: 'cti-backup' }));
    svc.bind(clock);
    const dc = startDemoControl({ service: svc, clock, log: silentLogger, seed: 5, cti: { atMs: 0, everyMs: 600_000, forMs: 60_000 } });
    for (let i = 0; i < 200; i++) dc.observe([offered(clock.now())]);
    clock.advance(10_000);
    const reports = svc.outcomes.map((o) => o.report);
    expect(reports.some((r) => 'outcome' in r && (r.outcome === 'failed' || r.outcome === 'timeout'))).toBe(false);
    const slow = reports.filter((r) => 'outcome' in r && r.outcome === 'connected' && (r.latencyMs ?? 0) >= 1_300);
    expect(slow.length).toBeGreaterThan(50);
    expect(slow.every((r) => (r.latencyMs ?? 0) < 2_000)).toBe(true);
  });

  it('counts a refused route, reports not-attempted for a reject, bounds pending outcomes and cancels them on stop', () => {
    const clock = new ManualClock(T0);
    let refuse = true;
    const svc = fakeService(() => {
      if (refuse) throw new Error('unknown skill group');
      return { target: 'reject' };
    });
    svc.bind(clock);
    const dc = startDemoControl({
      service: svc,
      clock,
      log: silentLogger,
      seed: 1,
      cti: { atMs: 0, everyMs: 1_000, forMs: 0 },
      maxPending: 3,
    });
    dc.observe([offered(T0)]);
    expect(dc.stats()).toMatchObject({ routed: 0, refused: 1 });
    refuse = false;
    dc.observe([offered(T0), offered(T0), offered(T0), offered(T0), offered(T0)]);
    expect(dc.stats()).toMatchObject({ routed: 5, unreported: 2 });
    clock.advance(100);
    expect(svc.outcomes.map((o) => o.report)).toEqual([
      { outcome: 'not-attempted' },
      { outcome: 'not-attempted' },
      { outcome: 'not-attempted' },
    ]);
    dc.observe([offered(T0), offered(T0)]);
    dc.stop();
    clock.advance(60_000);
    dc.observe([offered(T0)]);
    expect(svc.outcomes).toHaveLength(3);
    expect(dc.stats().routed).toBe(7);
  });

  it('is seeded: the same seed gives the same priorities and outcomes', () => {
    const run = (seed: number) => {
      const clock = new ManualClock(T0);
      const svc = fakeService();
      svc.bind(clock);
      const dc = startDemoControl({ service: svc, clock, log: silentLogger, seed, cti: { atMs: 0, everyMs: 20_000, forMs: 10_000 } });
      for (let i = 0; i < 50; i++) {
        dc.observe([offered(clock.now())]);
        clock.advance(400);
      }
      clock.advance(10_000);
      return JSON.stringify([svc.routed.map((r) => r.priority), svc.outcomes.map((o) => o.report)]);
    };
    expect(run(11)).toBe(run(11));
    expect(run(11)).not.toBe(run(12));
    const priorities = new Set(JSON.parse(run(11))[0] as string[]);
    expect(priorities).toEqual(new Set(['vip', 'high', 'normal', 'low']));
  });

  it('places few peaks, the first within the first five minutes', () => {
    const peaks = demoPeaks(T0);
    expect(peaks.length).toBeLessThanOrEqual(4);
    expect(peaks[0]!.start - T0).toBeLessThan(5 * 60_000);
    expect(peaks.reduce((m, p) => m * p.multiplier, 1)).toBeLessThan(20);
  });
});
