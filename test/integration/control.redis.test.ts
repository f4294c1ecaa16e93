import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import { RedisStateStore } from '../../adapters/state/redis.js';
import { calm, overloaded } from '../../control/testing/harness.js';
import { ControlService } from '../../control/service.js';
import type { ControlEvents } from '../../control/service-types.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import { startRedis } from '../../services/redis.js';
import { eventually } from '../../core/testing/eventually.js';
import type { RedisServer } from '../../services/redis.js';

const TICK = 100;
const LEASE = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

/** Patience of `eventually` here: tries 5 ms apart, so the time a takeover took is measured closely. */
const within = (timeoutMs: number) => ({ timeoutMs, intervalMs: 5 });

/** Two control instances on one Redis (own key prefix), fed by one view that a feeder keeps fresh. */
async function pair(url: string) {
  const prefix = `ctl-${randomUUID()}:`;
  const view = new StaticRealtimeView();
  let load: typeof calm = calm;
  const feed = setInterval(() => view.set([load('acme', 'care', Date.now())]), 20);
  view.set([calm('acme', 'care', Date.now())]);
  cleanup.push(async () => clearInterval(feed));
  const make = async (id: string) => {
    const store = new RedisStateStore({ url, prefix });
    await store.ready();
    const svc = new ControlService({
      clock: systemClock,
      instanceId: id,
      stateStore: store,
      realtime: view,
      tickMs: TICK,
      leaseMs: LEASE,
      storeTimeoutMs: 150,
      ctiNodes: { primary: 'a', backup: 'b' },
      levels: { defaults: { thresholds: [0.3, 0.5, 0.7], holdMs: 2_000 } },
      loopLagMs: () => Number.NaN,
    });
    cleanup.push(async () => {
      await svc.stop();
      await store.close();
    });
    await svc.start();
    return svc;
  };
  const [a, b] = [await make('one'), await make('two')];
  const level = (s: ControlService) => s.state('acme').levels.find((l) => l.skillGroup === undefined)?.level ?? 0;
  const leaders = () => [a, b].filter((s) => s.state().shared.leader);
  await eventually(() => leaders().length === 1, 'one leader', within(3 * LEASE));
  return { a, b, level, leaders, setLoad: (f: typeof calm) => (load = f) };
}

describe('control instances on a real redis-server', () => {
  it('agree on the level within one tick, and a stopped leader is replaced within the lease', async () => {
    const { a, b, level, leaders, setLoad } = await pair(inject('redisUrl'));
    const reached = new Map<string, number>();
    const watch = (name: string) => (e: ControlEvents['level']) => {
      if (e.scope.skillGroup === undefined && !reached.has(`${name}:${e.to}`)) reached.set(`${name}:${e.to}`, performance.now());
    };
    a.on('level', watch('a'));
    b.on('level', watch('b'));
    setLoad(overloaded);
    await eventually(() => level(a) === 3 && level(b) === 3, 'L3 on both', within(5_000));
    for (const l of [1, 2, 3]) {
      const gap = Math.abs(reached.get(`a:${l}`)! - reached.get(`b:${l}`)!);
      expect(gap, `L${l} reached ${gap.toFixed(1)} ms apart`).toBeLessThanOrEqual(TICK);
    }
    const [leader] = leaders();
    const follower = leader === a ? b : a;
    await leader!.stop({ crash: true });
    const took = await eventually(() => follower.state().shared.leader, 'takeover', within(LEASE + 2 * TICK + 500));
    expect(took).toBeLessThanOrEqual(LEASE + 2 * TICK);
    expect(level(follower)).toBe(3);
    expect(follower.route({ tenant: 'acme', callId: 'x', skillGroup: 'care', priority: 'normal' }).level).toBe(3);
  });

  it('redis halted: both keep answering route() from local state; redis back: state reconciles', async () => {
    const server: RedisServer = await startRedis();
    cleanup.push(() => server.stop());
    const { a, b, level, leaders, setLoad } = await pair(server.url);
    const [leader] = leaders();
    const follower = leader === a ? b : a;
    await server.halt();
    await eventually(() => !a.state().shared.reachable && !b.state().shared.reachable, 'both see redis down', within(2_000));
    setLoad(overloaded);
    const answers: string[] = [];
    const until = Date.now() + 1_500;
    for (let i = 0; Date.now() < until; i++) {
      // route() is synchronous (it cannot wait for the store); the decision bench measures how fast it is.
      for (const s of [a, b]) answers.push(s.route({ tenant: 'acme', callId: `o${i}`, skillGroup: 'care', priority: 'normal' }).target);
      await sleep(10);
    }
    expect(answers.length).toBeGreaterThan(100);
    expect(answers.every((t) => t !== 'reject')).toBe(true);
    expect([level(a), level(b)]).toEqual([3, 3]);
    follower.force('channel:chat', 'open', 60_000, 'chat vendor down during the outage');
    leader!.pin({ tenant: 'acme', skillGroup: 'care' }, 1, 60_000, 'pinned during the outage');
    await server.start();
    await eventually(
      () => a.state().shared.reachable && b.state().shared.reachable && leaders().length === 1,
      'both reconnected with one leader',
      within(8_000),
    );
    await eventually(
      () =>
        [a, b].every(
          (s) =>
            s.state().breakers.find((x) => x.id === 'channel:chat')?.state === 'forced-open' &&
            s.state('acme').levels.find((l) => l.skillGroup === 'care')?.override?.level === 1,
        ),
      'breaker and pin everywhere',
      within(3_000),
    );
    await sleep(3 * TICK);
    await eventually(() => level(a) === level(b), 'the same level on both', within(TICK));
  });
});
