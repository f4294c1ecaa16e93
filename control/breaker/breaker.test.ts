import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { isSluiceError } from '../../core/errors.js';
import { CircuitBreaker } from './breaker.js';
import type { BreakerTransition, Permit } from './breaker.js';
import type { BreakerConfig } from './config.js';

const base: Partial<BreakerConfig> = {
  jitter: 0,
  openBaseMs: 1_000,
  openMaxMs: 8_000,
  minCalls: 4,
  errorCount: 3,
  probes: 3,
  probeSuccesses: 2,
};

function make(config: Partial<BreakerConfig> = {}, clock = new ManualClock()) {
  const breaker = new CircuitBreaker({ id: 'cti:a', clock, config: { ...base, ...config }, random: () => 0.5 });
  const events: BreakerTransition[] = [];
  breaker.on('transition', (e) => events.push(e));
  return { breaker, clock, events };
}

function fail(b: CircuitBreaker, n: number, latency = 10): void {
  for (let i = 0; i < n; i++) b.onFailure(latency, b.tryAcquire()!);
}

function succeed(b: CircuitBreaker, n: number, latency = 10): void {
  for (let i = 0; i < n; i++) b.onSuccess(latency, b.tryAcquire()!);
}

describe('CircuitBreaker', () => {
  it('passes calls while closed and trips on the error ratio', () => {
    const { breaker, events } = make({ errorCount: 0 });
    succeed(breaker, 2);
    fail(breaker, 1);
    expect(breaker.state).toBe('closed');
    fail(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBeNull();
    expect(events[0]).toMatchObject({ from: 'closed', to: 'open', k: 1, until: 1_000 });
    expect(events[0]!.reason).toMatch(/error ratio 0\.50/);
  });

  it('trips on the slow-call ratio and on the error count of a quiet channel', () => {
    const slow = make({ slowCallMs: 100, slowRatio: 0.5 }).breaker;
    succeed(slow, 2, 10);
    succeed(slow, 2, 150);
    expect(slow.state).toBe('open');
    const quiet = make({ minCalls: 100 }).breaker;
    fail(quiet, 2);
    expect(quiet.state).toBe('closed');
    fail(quiet, 1);
    expect(quiet.state).toBe('open');
  });

  it('goes half-open on time (timer-driven event), admits N probes and rejects the surplus at once', () => {
    const { breaker, clock, events } = make();
    fail(breaker, 3);
    clock.advance(999);
    expect(events).toHaveLength(1);
    clock.advance(1);
    expect(events[1]).toMatchObject({ from: 'open', to: 'half-open', at: 1_000 });
    const permits = [breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()];
    expect(permits.every((p) => p?.probe === true)).toBe(true);
    expect(breaker.tryAcquire()).toBeNull();
    breaker.onSuccess(5, permits[0]!);
    expect(breaker.state).toBe('half-open');
    breaker.onSuccess(5, permits[1]!);
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()?.probe).toBe(false);
  });

  it('re-opens on a failed or slow probe with a doubled open time', () => {
    const { breaker, clock, events } = make({ slowCallMs: 500 });
    fail(breaker, 3);
    clock.advance(1_000);
    breaker.onFailure(20, breaker.tryAcquire()!);
    expect(events.at(-1)).toMatchObject({ to: 'open', k: 2, until: 3_000 });
    clock.advance(2_000);
    breaker.onSuccess(900, breaker.tryAcquire()!);
    expect(events.at(-1)).toMatchObject({ to: 'open', k: 3, until: 3_000 + 4_000 });
    expect(events.at(-1)!.reason).toMatch(/probe slow/);
  });

  it('escalates across close → open cycles and decays k by one per healthy interval', () => {
    const { breaker, clock, events } = make({ healthyIntervalMs: 60_000 });
    const cycle = (): void => {
      clock.advance(100_000);
      const p = [breaker.tryAcquire()!, breaker.tryAcquire()!];
      p.forEach((x) => {
        breaker.onSuccess(1, x);
      });
    };
    fail(breaker, 3); // k = 1
    cycle();
    fail(breaker, 3); // closed again at once: k = 2
    expect(events.at(-1)).toMatchObject({ to: 'open', k: 2 });
    cycle();
    clock.advance(60_000); // one healthy interval: k 2 → 1
    fail(breaker, 3);
    expect(events.at(-1)).toMatchObject({ to: 'open', k: 2 });
    cycle();
    clock.advance(600_000);
    fail(breaker, 3);
    expect(events.at(-1)).toMatchObject({ to: 'open', k: 1, until: clock.now() + 1_000 });
  });

  it('applies jitter from the injected random source', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({ id: 'x', clock, random: () => 0.5, config: { ...base, jitter: 0.2 } });
    fail(b, 3);
    expect(b.snapshot().until).toBe(900);
  });

  it('decides a half-open trial at its deadline so it cannot stick', () => {
    const noTraffic = make({ halfOpenMaxMs: 5_000 });
    fail(noTraffic.breaker, 3);
    noTraffic.clock.advance(6_000);
    expect(noTraffic.events.at(-1)).toMatchObject({ from: 'half-open', to: 'open', k: 1 });
    const lost = make({ halfOpenMaxMs: 5_000 });
    fail(lost.breaker, 3);
    lost.clock.advance(1_000);
    lost.breaker.tryAcquire();
    lost.clock.advance(5_000);
    expect(lost.events.at(-1)).toMatchObject({ from: 'half-open', to: 'open', k: 2 });
    const partial = make({ halfOpenMaxMs: 5_000 });
    fail(partial.breaker, 3);
    partial.clock.advance(1_000);
    partial.breaker.onSuccess(5, partial.breaker.tryAcquire()!);
    partial.clock.advance(5_000);
    expect(partial.events.at(-1)).toMatchObject({ from: 'half-open', to: 'closed' });
  });

  it('ignores outcomes of permits from an earlier generation or another breaker', () => {
    const { breaker, clock } = make();
    const stale = [breaker.tryAcquire()!, breaker.tryAcquire()!];
    fail(breaker, 3);
    clock.advance(1_000);
    stale.forEach((p) => {
      breaker.onFailure(5, p);
    });
    expect(breaker.state).toBe('half-open');
    const foreign: Permit = { breakerId: 'other', gen: breaker.machineState.gen, probe: true };
    breaker.onFailure(5, foreign);
    expect(breaker.state).toBe('half-open');
  });

  it('forces open and closed with expiry, and clears force', () => {
    const { breaker, clock, events } = make();
    breaker.forceOpen(10_000, 'maintenance');
    expect(breaker.tryAcquire()).toBeNull();
    clock.advance(10_000);
    expect(events.at(-1)).toMatchObject({ from: 'forced-open', to: 'half-open', reason: 'forced open expired' });
    breaker.forceClose(5_000);
    fail(breaker, 10);
    expect(breaker.state).toBe('forced-closed');
    clock.advance(5_000);
    expect(breaker.state).toBe('closed');
    breaker.forceOpen(60_000);
    breaker.clearForce();
    expect(breaker.state).toBe('half-open');
  });

  it.each([0, -1, Number.NaN, 25 * 3_600_000])('rejects a force duration of %s ms', (ms) => {
    const { breaker } = make();
    let error: unknown;
    try {
      breaker.forceOpen(ms);
    } catch (e) {
      error = e;
    }
    expect(isSluiceError(error) && error.code).toBe('SLUICE_ERR_CONTROL_OVERRIDE_INVALID');
  });

  it('stops notifying after unsubscribe', () => {
    const { breaker } = make();
    const seen: string[] = [];
    const off = breaker.on('transition', (e) => seen.push(e.to));
    breaker.forceOpen(1_000);
    off();
    off();
    breaker.clearForce();
    expect(seen).toEqual(['forced-open']);
  });

  it('reports a snapshot with ratios and latency quantiles', () => {
    const { breaker } = make({ minCalls: 100, errorCount: 0 });
    succeed(breaker, 3, 20);
    fail(breaker, 1, 3_000);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 4, errors: 1, errorRatio: 0.25, slow: 1, slowRatio: 0.25 });
    expect(breaker.latencyQuantileMs(0.5)).toBeLessThan(24);
    expect(breaker.latencyQuantileMs(1)).toBeGreaterThanOrEqual(3_000);
  });

  it('restores from JSON mid-trial and keeps its deadlines', () => {
    const { breaker, clock } = make();
    fail(breaker, 3);
    clock.advance(1_000);
    breaker.tryAcquire();
    const json = JSON.parse(JSON.stringify(breaker));
    breaker.dispose();
    const copy = CircuitBreaker.restore(json, { id: 'cti:a', clock, config: { ...base }, random: () => 0.5 });
    expect(copy.snapshot()).toMatchObject({ state: 'half-open', probesAdmitted: 1 });
    const seen: string[] = [];
    copy.on('transition', (e) => seen.push(e.to));
    clock.advance(30_000);
    expect(seen).toEqual(['open']);
    copy.dispose();
    expect(clock.pending).toBe(0);
  });

  it('refuses JSON of another breaker or with a malformed state', () => {
    const { breaker } = make();
    const json = breaker.toJSON();
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return isSluiceError(e) ? e.code : e;
      }
      return undefined;
    };
    expect(code(() => CircuitBreaker.restore(json, { id: 'cti:b' }))).toBe('SLUICE_ERR_CONTROL_STATE_INVALID');
    expect(code(() => CircuitBreaker.restore({ ...json, state: { ...json.state, name: 'ajar' } }, { id: 'cti:a' }))).toBe(
      'SLUICE_ERR_CONTROL_STATE_INVALID',
    );
  });
});

describe('CircuitBreaker for outside evidence (fleet breakers)', () => {
  it('with autoTrip off records outcomes but opens only through trip(), and only from closed', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({ id: 'cti:a', clock, config: base, random: () => 0.5, autoTrip: false });
    fail(b, 10);
    expect([b.state, b.snapshot().errors]).toEqual(['closed', 10]);
    expect(b.trip('breakers of 2 tenants open at once')).toBe(true);
    expect(b.snapshot()).toMatchObject({ state: 'open', reason: 'breakers of 2 tenants open at once', k: 1 });
    expect(b.trip('again')).toBe(false);
  });

  it('takes back a released probe: it does not count, and its slot goes to the next call', () => {
    const { breaker, clock } = make({ probes: 1, probeSuccesses: 1 });
    fail(breaker, 3);
    clock.advance(1_000);
    const p = breaker.tryAcquire()!;
    expect(p.probe).toBe(true);
    expect(breaker.tryAcquire()).toBeNull();
    breaker.release(p);
    expect(breaker.snapshot().probesAdmitted).toBe(0);
    const again = breaker.tryAcquire()!;
    expect(again.probe).toBe(true);
    breaker.onSuccess(10, again);
    expect(breaker.state).toBe('closed');
    breaker.release(again);
    expect(breaker.state).toBe('closed');
  });
});
