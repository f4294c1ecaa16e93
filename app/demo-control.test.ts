import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { silentLogger } from '../core/logger.js';
import type { OutcomeReport } from '../control/outcome.js';
import type { RouteAnswer, RouteInput } from '../control/service-types.js';
import { calm } from '../control/testing/harness.js';
import { InMemoryCallbackTickets } from '../control/tickets/tickets.js';
import { createControl } from '../control/wire.js';
import type { Level } from '../control/types.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { TrafficSimulation } from '../simulator/model.js';
import { buildScenario } from '../simulator/scenario.js';
import {
  DEMO_INTERVAL_SEC,
  demoHistoryStart,
  demoPeaks,
  demoShiftStart,
  HISTORY_CALLS,
  PROXY_TIMEOUT_MS,
  startDemoControl,
} from './demo-control.js';

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

  it('waits for the node’s history of answered calls before a trouble (the client-side throttle needs it)', () => {
    const clock = new ManualClock(T0);
    let refuse = true;
    const svc = fakeService(() => (refuse ? { target: 'reject' } : { target: 'agent', ctiNode: 'cti-primary' }));
    svc.bind(clock);
    const dc = startDemoControl({ service: svc, clock, log: silentLogger, seed: 2, cti: { atMs: 0, everyMs: 600_000, forMs: 60_000 } });
    // Due from the start, but nothing answered yet: rejected calls, then the node's first answers.
    for (let i = 0; i < 30; i++) dc.observe([offered(clock.now())]);
    refuse = false;
    let calls = 0;
    while (dc.stats().troubles === 0 && calls < 100) {
      dc.observe([offered(clock.now())]);
      calls += 1;
    }
    expect(dc.stats().troubles).toBe(1);
    // At least HISTORY_CALLS answered (2 % of callers hang up first, so a few more calls than that).
    expect(calls).toBeGreaterThan(HISTORY_CALLS);
    expect(calls).toBeLessThan(HISTORY_CALLS + 5);
  });

  it('takes the primary node down in each trouble: due at atMs, then everyMs after the previous began, begun at a call answered at L0', () => {
    const clock = new ManualClock(T0);
    let level: Level = 0;
    const svc = fakeService(() => ({ target: 'agent', ctiNode: 'cti-primary', level }));
    svc.bind(clock);
    const begun: number[] = [];
    const log = { ...silentLogger, info: (_: object, msg?: string) => void (msg?.includes('trouble begins') && begun.push(clock.now())) };
    const dc = startDemoControl({ service: svc, clock, log, seed: 3, cti: { atMs: 60_000, everyMs: 600_000, forMs: 60_000 } });
    const kinds = (calls: number) => {
      svc.outcomes.length = 0;
      const at = clock.now();
      for (let i = 0; i < calls; i++) dc.observe([offered(clock.now())]);
      clock.advance(10_000);
      return svc.outcomes.map((o) => ({ ...(o.report as { outcome: string; latencyMs?: number }), afterMs: o.at - at }));
    };
    // Before it is due: healthy, tens of milliseconds.
    const healthy = kinds(200);
    expect(healthy).toHaveLength(200);
    expect(healthy.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout')).toHaveLength(0);
    const latencies = healthy.flatMap((r) => (r.outcome === 'connected' ? [r.latencyMs!] : []));
    expect(latencies.length).toBeGreaterThan(180);
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    expect(mean).toBeGreaterThan(25);
    expect(mean).toBeLessThan(60);
    // Due at 60 s, but control answers at L1: it waits for a calm centre.
    clock.advanceTo(T0 + 70_000);
    level = 1;
    expect(kinds(20).every((r) => r.outcome === 'connected' || r.outcome === 'abandoned')).toBe(true);
    expect(dc.stats().troubles).toBe(0);
    clock.advanceTo(T0 + 90_000);
    level = 0;
    const trouble = kinds(200);
    expect(begun).toEqual([T0 + 90_000]);
    expect(dc.stats().troubles).toBe(1);
    expect([89_999, 90_000, 149_999, 150_000].map((ms) => dc.troubleAt(T0 + ms))).toEqual([false, true, true, false]);
    // Down: no call connects; 40 % refused at once, the rest time out at the proxy's deadline, reported by the proxy.
    expect(trouble).toHaveLength(200);
    expect(trouble.some((r) => r.outcome === 'connected')).toBe(false);
    const refused = trouble.filter((r) => r.outcome === 'failed');
    expect(refused.length).toBeGreaterThan(60);
    expect(refused.length).toBeLessThan(100);
    expect(refused.every((r) => r.afterMs < 100)).toBe(true);
    const timedOut = trouble.filter((r) => r.outcome === 'timeout');
    expect(timedOut.length + refused.length).toBe(200);
    expect(timedOut.every((r) => r.afterMs === PROXY_TIMEOUT_MS)).toBe(true);
    // Over after forMs; the next is due everyMs after this one began (not after the schedule's 60 s).
    clock.advanceTo(T0 + 150_000);
    expect(kinds(50).some((r) => r.outcome === 'failed' || r.outcome === 'timeout')).toBe(false);
    clock.advanceTo(T0 + 689_000);
    for (let i = 0; i < 5; i++) dc.observe([offered(clock.now())]);
    expect(dc.stats().troubles).toBe(1);
    clock.advanceTo(T0 + 690_000);
    expect(kinds(50).some((r) => r.outcome === 'timeout')).toBe(true);
    expect(begun).toEqual([T0 + 90_000, T0 + 690_000]);
  });

  it('leaves the other node up during the trouble, half its answers slow but under the breaker’s 2 s', () => {
    const clock = new ManualClock(T0);
    let node = 'cti-primary';
    const svc = fakeService(() => ({ target: 'agent', ctiNode: node }));
    svc.bind(clock);
    const dc = startDemoControl({ service: svc, clock, log: silentLogger, seed: 5, cti: { atMs: 0, everyMs: 600_000, forMs: 60_000 } });
    // The primary's history of answered calls first (the trouble waits for it), then every call on the backup.
    for (let i = 0; i < 25; i++) dc.observe([offered(clock.now())]);
    clock.advance(PROXY_TIMEOUT_MS + 1);
    svc.outcomes.length = 0;
    node = 'cti-backup';
    for (let i = 0; i < 200; i++) dc.observe([offered(clock.now())]);
    clock.advance(10_000);
    expect(dc.stats().troubles).toBe(1);
    expect(dc.troubleAt(clock.now() - 10_000)).toBe(true);
    const reports = svc.outcomes.map((o) => o.report);
    expect(reports.some((r) => 'outcome' in r && (r.outcome === 'failed' || r.outcome === 'timeout'))).toBe(false);
    // Slow enough to weigh on the level (the CTI latency ramp is full at 2 s), not slow for the breaker.
    const slow = reports.filter((r) => 'outcome' in r && r.outcome === 'connected' && (r.latencyMs ?? 0) >= 1_800);
    expect(slow.length).toBeGreaterThan(75);
    expect(slow.length).toBeLessThan(125);
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

describe('the demo’s history', () => {
  it('opens the simulated centre at the start of the vendor interval before the one under way: 15 to 30 minutes back', () => {
    for (const at of ['06:30:00', '06:30:00.001', '06:44:59.999', '23:59:59', '00:00:00', '00:14:00']) {
      const now = Date.parse(`2026-12-07T${at}Z`);
      const start = demoHistoryStart(now);
      expect(start % (DEMO_INTERVAL_SEC * 1000), at).toBe(0);
      expect(now - start, at).toBeGreaterThanOrEqual(15 * 60_000);
      expect(now - start, at).toBeLessThan(30 * 60_000);
    }
  });

  it('never opens over minutes already stored: after them, even a few seconds ahead; a store far ahead is not waited for', () => {
    const now = Date.parse('2026-12-07T06:31:20Z');
    const previous = Date.parse('2026-12-07T06:15:00Z');
    expect(demoHistoryStart(now, undefined)).toBe(previous);
    expect(demoHistoryStart(now, previous - 3_600_000)).toBe(previous);
    expect(demoHistoryStart(now, Date.parse('2026-12-07T06:27:00Z'))).toBe(Date.parse('2026-12-07T06:27:00Z'));
    // Restarted within the minute the last run stored: opens at the next minute.
    expect(demoHistoryStart(now, Date.parse('2026-12-07T06:32:00Z'))).toBe(Date.parse('2026-12-07T06:32:00Z'));
    expect(demoHistoryStart(now, Date.parse('2026-12-07T09:00:00Z'))).toBe(previous);
  });

  it('holds the vendor’s report of a whole interval for every skill group, with Sluice’s events of the same calls', () => {
    const now = Date.parse('2026-12-07T06:31:20Z');
    const start = demoHistoryStart(now);
    const history = [
      ...new TrafficSimulation(
        buildScenario({ seed: 7, start, minutes: 60, tenants: ['demo'], callsPerHour: 1_200, intervalSec: DEMO_INTERVAL_SEC }),
      ),
    ].filter((e) => e.ts <= now);
    const reports = history.flatMap((e) => (e.source === 'interval' && e.body.scope === 'skillgroup' ? [{ ts: e.ts, ...e.body }] : []));
    expect(reports.map((r) => [r.ts, r.key, r.intervalStart]).sort()).toEqual(
      ['billing', 'sales', 'support'].map((g) => [start + 900_000, g, start]),
    );
    const offered = history.filter((e) => e.source === 'skillgroup' && e.body.type === 'OFFERED' && e.ts < start + 900_000).length;
    const reported = reports.reduce((n, r) => n + (r.offered ?? 0), 0);
    expect(offered).toBeGreaterThan(100);
    expect(reported).toBe(offered);
  });
});

describe('the demo’s shifts', () => {
  it('open the centre into a break wave at any time of day: agents on AUX from its first minute, then a full floor until lunch', () => {
    // Every hour of a day, at each quarter in turn (09:15 is when CI once found no break at all), and a restart off
    // the boundary.
    const day = Date.parse('2026-12-07T00:00:00Z');
    const starts = [...Array.from({ length: 24 }, (_, h) => day + h * 3_600_000 + (h % 4) * 900_000), Date.parse('2026-12-07T09:27:00Z')];
    for (const history of starts) {
      const at = new Date(history).toISOString().slice(11, 16);
      const config = buildScenario({
        seed: 3,
        start: history,
        minutes: 90,
        tenants: ['demo'],
        callsPerHour: 1_200,
        shiftStartMinute: demoShiftStart(history),
      });
      const aux = new Set<number>();
      for (const e of new TrafficSimulation(config))
        if (e.source === 'agent' && e.body.state === 'AUX') aux.add(Math.floor((e.ts - history) / 60_000));
      const minutes = [...aux].sort((a, b) => a - b);
      expect(minutes[0], at).toBe(0);
      // The last quarter's breaks are due 15 minutes in (an agent on a call goes when it ends, up to ~35 minutes later);
      // the lunch wave is 90 minutes in.
      expect(
        minutes.filter((m) => m >= 55 && m < 90),
        at,
      ).toEqual([]);
    }
  });

  it('refuses a first shift that is not a minute of the day', () => {
    for (const shiftStartMinute of [-1, 1440, 1.5])
      expect(() => buildScenario({ seed: 1, start: T0, minutes: 1, shiftStartMinute })).toThrow(/shiftStartMinute/);
  });
});

describe('the demo’s scripted CTI trouble against the real control service, at the default 1 200 calls an hour', () => {
  /**
   * `sluice demo`'s control as `app/main.ts` builds it (`createControl`, the default policy, the deployment's CTI
   * nodes `cti-primary` and `cti-backup`, the in-memory state store), the simulator's traffic at the demo's default
   * rate with its peaks, played second by second on a manual clock; queues calm, so only the trouble moves the level.
   */
  async function playDemo(seed: number, minutes: number) {
    const clock = new ManualClock(T0);
    const groups = new Set<string>();
    const tickets = new InMemoryCallbackTickets();
    const control = createControl({
      clock,
      stateStore: new MemoryStateStore(clock),
      realtime: { snapshots: () => [...groups].map((g) => calm('demo', g, clock.now())) },
      engineHealth: { consumerLagMs: () => 0, insertLatencyMs: () => 0 },
      callbackTickets: tickets,
      instanceId: 'demo-test',
      tenants: ['demo'],
      rateLimit: false,
      tuning: { loopLagMs: () => Number.NaN },
    });
    const svc = control.service;
    const breaker: { at: number; to: string }[] = [];
    svc.on('breaker', (t) => {
      if (t.breakerId === 'cti:cti-primary') breaker.push({ at: t.at - T0, to: t.to });
    });
    const levels: { at: number; to: number }[] = [];
    svc.on('level', (e) => {
      if (e.scope.skillGroup === undefined) levels.push({ at: e.at - T0, to: e.to });
    });
    const decisions: { at: number; target: string; node: string | undefined; probe: boolean }[] = [];
    svc.on('decision', (d) => decisions.push({ at: clock.now() - T0, target: d.target, node: d.ctiNode, probe: d.probe }));
    await control.start();
    const begun: number[] = [];
    const log = {
      ...silentLogger,
      info: (_: object, msg?: string) => void (msg?.includes('trouble begins') && begun.push(clock.now() - T0)),
    };
    const dc = startDemoControl({ service: svc, clock, log, seed, cti: { atMs: 60_000, everyMs: 600_000, forMs: 60_000 } });
    const events = new TrafficSimulation(
      buildScenario({ seed, start: T0, minutes, tenants: ['demo'], callsPerHour: 1_200, peaks: demoPeaks(T0) }),
    )[Symbol.iterator]();
    let next = events.next();
    for (let s = 1; s <= minutes * 60; s++) {
      const batch: TelemetryEvent[] = [];
      while (!next.done && next.value.ts < T0 + s * 1_000) {
        if (next.value.source === 'skillgroup') groups.add(next.value.body.skillGroup);
        batch.push(next.value);
        next = events.next();
      }
      clock.advanceTo(T0 + s * 1_000);
      dc.observe(batch);
      await settle(4);
    }
    dc.stop();
    await control.stop();
    return { begun, breaker, levels, decisions, tickets: tickets.list(), stats: dc.stats() };
  }

  for (const seed of [1, 6]) {
    it(`opens the primary's breaker in each trouble, sends calls to the backup meanwhile, raises the level to L3 with callback tickets, and closes it after (seed ${seed})`, async () => {
      const r = await playDemo(seed, 13);
      // Two troubles: at the first call after 60 s (the centre is calm then) and ten minutes after that.
      expect(r.begun).toHaveLength(2);
      expect(r.begun[0]).toBeGreaterThanOrEqual(60_000);
      expect(r.begun[0]).toBeLessThan(75_000);
      expect(r.begun[1]! - r.begun[0]!).toBeGreaterThanOrEqual(600_000);
      expect(r.begun[1]! - r.begun[0]!).toBeLessThan(615_000);
      for (const from of r.begun) {
        const opened = r.breaker.find((t) => t.to === 'open' && t.at >= from);
        // Opens within the window (five failures in a row: at this rate the window never holds 20 calls).
        expect(opened, JSON.stringify(r.breaker)).toBeDefined();
        expect(opened!.at - from).toBeLessThan(60_000);
        // The tenant climbs to L3 during the trouble.
        expect(
          r.levels.some((l) => l.to === 3 && l.at >= from && l.at < from + 60_000 + 5_000),
          JSON.stringify(r.levels),
        ).toBe(true);
      }
      // After the first trouble the breaker closes (before the next one), and the level is back at L0 by then.
      const closed = r.breaker.find((t) => t.to === 'closed' && t.at >= r.begun[0]! + 60_000);
      expect(closed, JSON.stringify(r.breaker)).toBeDefined();
      expect(closed!.at).toBeLessThan(r.begun[1]!);
      expect(r.levels.filter((l) => l.at < r.begun[1]!).at(-1)?.to).toBe(0);
      // While it is open, agent calls go to the backup node; the primary gets probes only.
      const whileOpen = r.decisions.filter(
        (d) => d.target === 'agent' && d.at > r.breaker.find((t) => t.to === 'open')!.at && d.at < closed!.at,
      );
      expect(whileOpen.filter((d) => d.node === 'cti-backup').length).toBeGreaterThan(5);
      expect(whileOpen.filter((d) => d.node === 'cti-primary').every((d) => d.probe)).toBe(true);
      // Diverted callers (keypad IVR at L3; chat at L2 and smart IVR at L1, on the way up or down) and callback tickets.
      for (const target of ['keypad_ivr', 'chat', 'smart_ivr'])
        expect(
          r.decisions.some((d) => d.target === target),
          target,
        ).toBe(true);
      expect(r.tickets.length).toBeGreaterThan(0);
      expect(r.stats).toMatchObject({ unreported: 0, troubles: 2 });
    }, 60_000);
  }
});
