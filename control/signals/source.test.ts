import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { calm, overloaded } from '../testing/harness.js';
import { EventLoopLag } from './engine.js';
import { snapshotProblem } from '../../core/messages.js';
import { StaticRealtimeView } from './snapshot.js';
import { SnapshotSignalSource } from './source.js';

describe('SnapshotSignalSource', () => {
  it('builds signals per tenant and per skill group, with engine and CTI health on every scope', () => {
    const clock = new ManualClock(100_000);
    const view = new StaticRealtimeView([
      overloaded('acme', 'care', clock.now()),
      calm('acme', 'sales', clock.now()),
      calm('globex', 'care', clock.now()),
    ]);
    const src = new SnapshotSignalSource({
      view,
      clock,
      loopLagMs: () => 12,
      engine: { consumerLagMs: () => 800, insertLatencyMs: () => 40 },
      cti: () => ({ available: 0.5, latencyMs: Number.NaN }),
    });
    expect([...src.scopes()].map((s) => `${s.tenant}/${s.skillGroup ?? ''}`).sort()).toEqual([
      'acme/',
      'acme/care',
      'acme/sales',
      'globex/',
      'globex/care',
    ]);
    expect(src.read({ tenant: 'acme', skillGroup: 'care' })).toMatchObject({
      callsWaiting: 40,
      longestWaitMs: 120_000,
      availableAgents: 0,
      occupancy: 1,
      predictedWaitMs: (41 * 60_000) / 10,
      offeredPerMin: 120,
    });
    expect(src.read({ tenant: 'acme' })).toMatchObject({
      callsWaiting: 40,
      longestWaitMs: 120_000,
      availableAgents: 5,
      occupancy: 15 / 20,
      offeredPerMin: 140,
      eventLoopLagMs: 12,
      consumerLag: 800,
      insertLatencyMs: 40,
      ctiAvailable: 0.5,
    });
    expect(src.read({ tenant: 'acme' })?.ctiLatencyMs).toBeUndefined();
    expect(src.read({ tenant: 'globex', skillGroup: 'care' })?.predictedWaitMs).toBe(0);
  });

  it('smooths the offered rate over time and ignores stale or malformed snapshots', () => {
    const clock = new ManualClock(0);
    const view = new StaticRealtimeView([{ ...calm('acme', 'care', 0), offeredLastMinute: 0 }]);
    const src = new SnapshotSignalSource({ view, clock, offeredHalfLifeMs: 60_000, staleMs: 10_000 });
    src.refresh();
    clock.advance(60_000);
    view.set([
      { ...calm('acme', 'care', clock.now()), offeredLastMinute: 100 },
      { ...calm('acme', 'bad', clock.now()), callsWaiting: -1 },
    ]);
    src.refresh();
    expect(src.read({ tenant: 'acme', skillGroup: 'care' })?.offeredPerMin).toBeCloseTo(50, 6);
    expect(src.rejected).toBe(1);
    clock.advance(10_001);
    src.refresh();
    expect(src.latest()).toEqual([]);
  });

  it('reports a problem naming the field for malformed snapshots', () => {
    expect(snapshotProblem({ ...calm('a', 'b', 1), agentsBusy: 'x' })).toMatch(/agentsBusy/);
    expect(snapshotProblem({ ...calm('a/b', 'b', 1) })).toMatch(/tenant/);
    expect(snapshotProblem({ ...calm('a', 'b', 1), serviceLevel: 2 })).toMatch(/serviceLevel/);
    expect(snapshotProblem(calm('a', 'b', 1))).toBeNull();
  });
});

describe('EventLoopLag', () => {
  it('reports NaN before it runs and a p99 in ms once it does', async () => {
    const lag = new EventLoopLag(10);
    expect(lag.readMs()).toBeNaN();
    lag.start();
    const until = Date.now() + 30;
    while (Date.now() < until);
    await new Promise((r) => setTimeout(r, 40));
    const v = lag.readMs();
    lag.stop();
    expect(v).toBeGreaterThan(0);
  });
});
