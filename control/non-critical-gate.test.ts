import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runFor, settle } from '../adapters/clock.js';
import { MemoryStateStore } from '../adapters/state/memory.js';
import { SharedNonCriticalGate } from './fleet/levels-reader.js';
import { localNonCriticalGate } from './non-critical-gate.js';
import { DEFAULT_POLICY } from './policy/defaults.js';
import type { ControlService } from './service.js';
import { StaticRealtimeView } from './signals/snapshot.js';
import { calm, harness } from './testing/harness.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const s of running.splice(0).reverse()) await s.stop();
});

/** A control instance on a shared in-memory store: it leads, and publishes its levels every tick. */
async function leader(clock: ManualClock, store: MemoryStateStore): Promise<ControlService> {
  const view = new StaticRealtimeView([calm('acme', 'care', clock.now()), calm('globex', 'care', clock.now())]);
  const svc = harness({ clock, store, view, instanceId: 'leader' }).svc;
  await svc.start();
  running.push(svc);
  await settle();
  return svc;
}

const keepPaceAtL1 = { levels: { ...DEFAULT_POLICY.levels, L1: { ...DEFAULT_POLICY.levels.L1, slowNonCritical: false } } };

describe('the non-critical gate of a process running control (virtual time)', () => {
  it('slows a tenant once one of its scopes is at L1+, and stops once it is back at L0; at most once per tick it looks again', async () => {
    const clock = new ManualClock(1_000_000);
    const svc = await leader(clock, new MemoryStateStore(clock));
    const gate = localNonCriticalGate(svc, clock, 1_000);
    expect([gate.slow('acme'), gate.slow(undefined)]).toEqual([false, false]);
    svc.pin({ tenant: 'acme', skillGroup: 'care' }, 1, 60_000, 'storm');
    // The answer of this tick is reused until the next one.
    expect(gate.slow('acme')).toBe(false);
    clock.advance(1_000);
    expect([gate.slow('acme'), gate.slow('globex'), gate.slow(undefined)]).toEqual([true, false, true]);
    // Unpinned, the group recovers one level per hold (5 s here) on calm signals; then nothing is slowed.
    svc.unpin({ tenant: 'acme', skillGroup: 'care' }, 'over');
    await runFor(clock, 10_000);
    expect(svc.state('acme').levels.every((l) => l.level === 0)).toBe(true);
    expect(gate.slow('acme')).toBe(false);
  });

  it('follows the tenant’s policy: a policy that keeps pace at L1 does not slow there, but does at L2', async () => {
    const clock = new ManualClock(1_000_000);
    const svc = await leader(clock, new MemoryStateStore(clock));
    const gate = localNonCriticalGate(svc, clock, 1_000);
    await svc.putPolicy('acme', keepPaceAtL1, { expectedVersion: 0 });
    svc.pin({ tenant: 'acme' }, 1, 60_000, 'storm');
    expect(gate.slow('acme')).toBe(false);
    svc.pin({ tenant: 'acme' }, 2, 60_000, 'worse');
    clock.advance(1_000);
    expect(gate.slow('acme')).toBe(true);
  });
});

describe('the non-critical gate of a process without control, read from the shared store (virtual time)', () => {
  async function setup() {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryStateStore(clock);
    const svc = await leader(clock, store);
    const errors: string[] = [];
    const gate = new SharedNonCriticalGate({
      store,
      clock,
      pollMs: 1_000,
      staleMs: 5_000,
      onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`),
    });
    gate.start();
    running.push(gate);
    await runFor(clock, 1_000, 100);
    return { clock, store, svc, gate, errors };
  }

  it('slows what the leader’s levels and the tenants’ policies slow, within a poll', async () => {
    const { clock, svc, gate, errors } = await setup();
    expect(gate.slow('acme')).toBe(false);
    svc.pin({ tenant: 'acme', skillGroup: 'care' }, 2, 60_000, 'storm');
    await runFor(clock, 2_000, 100);
    expect([gate.slow('acme'), gate.slow('globex'), gate.slow(undefined)]).toEqual([true, false, true]);
    // A policy published on the control instance reaches the reader (its change message), at once.
    await svc.putPolicy('acme', { levels: { ...keepPaceAtL1.levels, L2: keepPaceAtL1.levels.L1 } }, { expectedVersion: 0 });
    await settle();
    expect(gate.slow('acme')).toBe(false);
    expect(errors).toEqual([]);
  });

  it('stops slowing once the published levels stop advancing (no leader): only fresh advice slows', async () => {
    const { clock, svc, gate } = await setup();
    svc.pin({ tenant: 'acme' }, 3, 600_000, 'storm');
    await runFor(clock, 2_000, 100);
    expect(gate.slow('acme')).toBe(true);
    await svc.stop({ crash: true });
    running.splice(running.indexOf(svc), 1);
    // The last state stays in the store, but nobody advances it.
    await runFor(clock, 4_000, 100);
    expect(gate.slow('acme')).toBe(true);
    await runFor(clock, 2_000, 100);
    expect(gate.slow('acme')).toBe(false);
  });

  it('ignores what it cannot read, keeps the last good state, and says why', async () => {
    const { clock, store, svc, gate, errors } = await setup();
    svc.pin({ tenant: 'acme' }, 2, 600_000, 'storm');
    await runFor(clock, 2_000, 100);
    await svc.stop({ crash: true });
    running.splice(running.indexOf(svc), 1);
    await store.set('control:levels', '{"v":1,"leader":"x","epoch":1,"seq":1,"state":{"v":7}}', 60_000);
    await runFor(clock, 1_000, 100);
    expect(errors.some((e) => e.startsWith('parse levels'))).toBe(true);
    expect(gate.slow('acme')).toBe(true);
  });
});
