import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import type { StateStore } from '../../adapters/state/types.js';
import type { TelemetryEvent } from '../events/types.js';
import { mixedEvents, partitionOf } from '../testing/realtime.js';
import { PartitionedRealtime } from './partitioned.js';
import { REALTIME_KEYS, RealtimePublisher, SharedRealtime } from './shared.js';
import { RealtimeState } from './state.js';

const T = 1_795_000_000_000;
const PARTITIONS = 4;

/** One state fed every event (what a single worker reading everything shows). */
function whole(events: readonly TelemetryEvent[], now: number): RealtimeState {
  const s = new RealtimeState();
  for (const e of events) s.apply(e, now);
  return s;
}

/** A worker's partitioned state fed the events of the partitions `mine` accepts. */
function worker(events: readonly TelemetryEvent[], now: number, mine: (partition: string) => boolean): PartitionedRealtime {
  const w = new PartitionedRealtime();
  for (const e of events) {
    const p = partitionOf(e, PARTITIONS);
    if (mine(p)) w.apply(p, [e], now);
  }
  return w;
}

const even = (p: string) => Number(p.slice(p.lastIndexOf(':') + 1)) % 2 === 0;
const odd = (p: string) => !even(p);

/** The view as one comparable value. */
const seen = (v: Pick<RealtimeState, 'skillGroups' | 'agents' | 'extensions'>, now: number, tenant?: string) => ({
  skillGroups: v.skillGroups(now, tenant),
  agents: v.agents(tenant),
  extensions: v.extensions(tenant),
});

describe('PartitionedRealtime', () => {
  it('is the sum of its partitions: the same view as one state fed every event, for any mix of events', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const events = mixedEvents(seed, 600, T);
      const now = T + 70_000;
      const all = whole(events, now);
      const parts = worker(events, now, () => true);
      expect(parts.partitions().size).toBeGreaterThan(PARTITIONS);
      expect(seen(parts, now)).toEqual(seen(all, now));
      expect(seen(parts, now, 'acme')).toEqual(seen(all, now, 'acme'));
      expect(parts.skillGroups(now, 'globex', 'sales')).toEqual(all.skillGroups(now, 'globex', 'sales'));
      expect(parts.snapshots(now)).toEqual(all.snapshots(now));
      // Agents live in agent partitions, queues in skill-group partitions: a group's agents are added over the former.
      expect(all.skillGroups(now).some((g) => Object.keys(g.agents).length > 0 && g.callsWaiting > 0)).toBe(true);
    }
  });

  it('drops the partitions a rebalance takes away, and tells listeners of the tenants they held', () => {
    const events = mixedEvents(7, 400, T);
    const now = T + 50_000;
    const w = worker(events, now, () => true);
    const heard = new Set<string>();
    w.onChange((t) => heard.add(t));
    w.retain(new Set([...w.partitions().keys()].filter(even)));
    expect([...w.partitions().keys()].every(even)).toBe(true);
    expect(heard).toEqual(new Set(['acme', 'globex']));
    expect(seen(w, now)).toEqual(seen(worker(events, now, even), now));
  });
});

/** A store whose calls fail while `down`, like an unreachable Redis. */
function flaky(inner: StateStore): StateStore & { down: boolean } {
  const s = { down: false } as StateStore & { down: boolean };
  for (const k of [
    'get',
    'set',
    'del',
    'incrBy',
    'setFields',
    'delFields',
    'getFields',
    'acquireLease',
    'releaseLease',
    'publish',
  ] as const) {
    (s as unknown as Record<string, unknown>)[k] = (...args: unknown[]) =>
      s.down ? Promise.reject(new Error('connection refused')) : (inner[k] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
  }
  s.subscribe = inner.subscribe.bind(inner);
  s.ping = async () => !s.down;
  s.close = () => inner.close();
  return s;
}

function fleet(events: readonly TelemetryEvent[]) {
  const clock = new ManualClock(T + 60_000);
  const store = new MemoryStateStore(clock);
  const now = clock.now();
  const a = worker(events, now, even);
  const b = worker(events, now, odd);
  const opts = { store, clock, periodMs: 1_000, staleMs: 3_000 };
  const pa = new RealtimePublisher({ ...opts, source: a, owner: 'worker-a' });
  const pb = new RealtimePublisher({ ...opts, source: b, owner: 'worker-b' });
  const reader = new SharedRealtime({ store, clock, periodMs: 1_000 });
  return { clock, store, a, b, pa, pb, reader };
}

describe('the shared real-time view', () => {
  it('serves on any instance the sum of every worker’s partitions, exactly as one worker reading everything', async () => {
    const events = mixedEvents(11, 800, T);
    const { clock, a, b, pa, pb, reader } = fleet(events);
    await pa.publishOnce();
    await pb.publishOnce();
    await reader.refresh();
    const now = clock.now();
    const all = whole(events, now);
    expect(seen(reader, now)).toEqual(seen(all, now));
    expect(seen(reader, now, 'globex')).toEqual(seen(all, now, 'globex'));
    expect(reader.skillGroups(now, 'acme', 'care')).toEqual(all.skillGroups(now, 'acme', 'care'));
    expect(reader.snapshots(now)).toEqual(all.snapshots(now));
    expect(reader.stats(now)).toMatchObject({ partitions: pa.publishing + pb.publishing, publishers: 2, stalenessMs: 0 });
    expect(pa.publishing + pb.publishing).toBe(a.partitions().size + b.partitions().size);
    expect(a.partitions().size + b.partitions().size).toBeGreaterThan(PARTITIONS);
    // Read later without a new write: the calls still waiting have waited that much longer.
    clock.advance(2_000);
    await reader.refresh();
    expect(reader.skillGroups(clock.now())).toEqual(all.skillGroups(clock.now()));
    expect(reader.snapshots(clock.now()).every((s) => s.asOf === now)).toBe(true);
  });

  it('drops a worker that died after the staleness bound; its partitions reappear once the survivor takes them over', async () => {
    const events = mixedEvents(12, 800, T);
    const { clock, b, pa, pb, reader } = fleet(events);
    const fedAt = clock.now();
    pa.start();
    pb.start();
    reader.start();
    await runSteps(clock, 2);
    const all = () => whole(events, fedAt);
    expect(seen(reader, clock.now())).toEqual(seen(all(), clock.now()));
    // Worker A crashes: it stops writing and withdraws nothing.
    pa.halt();
    const crashAt = clock.now();
    let gone: number | undefined;
    for (let i = 0; i < 10 && gone === undefined; i++) {
      await runSteps(clock, 1);
      if (reader.stats(clock.now()).publishers === 1) gone = clock.now() - crashAt;
    }
    // Its maps expire 3 s after its last write, and the next read (1 s period) no longer finds them.
    expect(gone).toBeDefined();
    expect(gone!).toBeLessThanOrEqual(3_000 + 1_000);
    expect(seen(reader, clock.now())).toEqual(seen(worker(events, fedAt, odd), clock.now()));
    // B takes A's partitions over and rebuilds them from the events it reads again.
    for (const e of events) {
      const p = partitionOf(e, PARTITIONS);
      if (even(p)) b.apply(p, [e], fedAt);
    }
    await runSteps(clock, 2);
    expect(b.partitions().size).toBe(new Set(events.map((e) => partitionOf(e, PARTITIONS))).size);
    expect(reader.stats(clock.now())).toMatchObject({ publishers: 1, partitions: b.partitions().size });
    expect(seen(reader, clock.now())).toEqual(seen(all(), clock.now()));
    pb.halt();
    reader.stop();
  });

  it('never counts a partition twice: a new owner waits for the lease; a worker that loses it withdraws it at once', async () => {
    const events = mixedEvents(13, 800, T);
    const { clock, a, b, pa, pb, reader } = fleet(events);
    await pa.publishOnce();
    await pb.publishOnce();
    // B is handed partition skillgroup:0 while A still holds its lease (A has not seen the rebalance yet).
    const p0 = [...a.partitions().keys()].find((p) => p.startsWith('sluice.skillgroup:'))!;
    const fedAt = clock.now();
    for (const e of events) if (partitionOf(e, PARTITIONS) === p0) b.apply(p0, [e], fedAt);
    await pb.publishOnce();
    expect(pb.waiting).toBe(1);
    await reader.refresh();
    expect(seen(reader, clock.now())).toEqual(seen(whole(events, fedAt), clock.now()));
    // A sees the rebalance: it drops the partition and withdraws it at its next write (lease given up).
    a.retain(new Set([...a.partitions().keys()].filter((p) => p !== p0)));
    await pa.publishOnce();
    await reader.refresh();
    expect(reader.skillGroups(clock.now()).reduce((n, g) => n + g.callsWaiting, 0)).toBeLessThan(
      whole(events, fedAt)
        .skillGroups(clock.now())
        .reduce((n, g) => n + g.callsWaiting, 0),
    );
    // B's next write takes the free lease: everything is back, once.
    await pb.publishOnce();
    expect(pb.waiting).toBe(0);
    await reader.refresh();
    expect(seen(reader, clock.now())).toEqual(seen(whole(events, fedAt), clock.now()));
  });

  it('removes a tenant that left a partition, and a stopped worker withdraws everything it published', async () => {
    const clock = new ManualClock(T);
    const store = new MemoryStateStore(clock);
    const w = new PartitionedRealtime({ idleTtlMs: 10_000 });
    const p = new RealtimePublisher({ store, clock, source: w, owner: 'w', periodMs: 1_000, staleMs: 3_000 });
    const reader = new SharedRealtime({ store, clock });
    const heard: string[] = [];
    reader.onChange((t) => heard.push(t));
    const ext = (tenant: string, ts: number): TelemetryEvent => ({
      v: 1,
      tenant,
      source: 'extension',
      id: `${tenant}${ts}`,
      ts,
      body: { extension: '100', state: 'IDLE' },
    });
    w.apply('sluice.extension:0', [ext('acme', T), ext('globex', T)], T);
    await p.publishOnce();
    await reader.refresh();
    expect(reader.extensions().map((x) => x.tenant)).toEqual(['acme', 'globex']);
    expect(heard.sort()).toEqual(['acme', 'globex']);
    heard.length = 0;
    clock.advance(8_000);
    w.apply('sluice.extension:0', [ext('acme', T + 8_000)], clock.now());
    clock.advance(4_000);
    expect(w.expire(clock.now())).toBe(1);
    await p.publishOnce();
    await reader.refresh();
    expect(reader.extensions().map((x) => x.tenant)).toEqual(['acme']);
    expect(heard.sort()).toEqual(['acme', 'globex']);
    expect(Object.keys(await store.getFields(REALTIME_KEYS.part('sluice.extension:0'))).sort()).toEqual(['@', 'acme']);
    heard.length = 0;
    await reader.refresh();
    expect(heard).toEqual([]);
    await p.stop();
    expect(await store.getFields(REALTIME_KEYS.part('sluice.extension:0'))).toEqual({});
    expect(await store.get(REALTIME_KEYS.lease('sluice.extension:0'))).toBeNull();
    await reader.refresh();
    expect(reader.extensions()).toEqual([]);
    expect(heard).toEqual(['acme']);
  });

  it('keeps its last copy while the store is unreachable, ageing it for the control loop and the metrics', async () => {
    const clock = new ManualClock(T);
    const store = flaky(new MemoryStateStore(clock));
    const events = mixedEvents(14, 300, T - 30_000);
    const w = worker(events, T, () => true);
    const p = new RealtimePublisher({ store, clock, source: w, owner: 'w', staleMs: 3_000 });
    const reader = new SharedRealtime({ store, clock });
    await p.publishOnce();
    await reader.refresh();
    const before = reader.skillGroups(T);
    store.down = true;
    clock.advance(10_000);
    await expect(p.publishOnce()).rejects.toThrow(/refused/);
    await expect(reader.refresh()).rejects.toThrow(/refused/);
    expect(reader.skillGroups(T).map((g) => g.skillGroup)).toEqual(before.map((g) => g.skillGroup));
    expect(reader.stats(clock.now())).toMatchObject({ stalenessMs: 10_000, sinceReadMs: 10_000 });
    expect(new Set(reader.snapshots(clock.now()).map((s) => s.asOf))).toEqual(new Set([T]));
  });

  it('refuses a staleness bound shorter than two periods, and skips malformed entries', async () => {
    const clock = new ManualClock(T);
    const store = new MemoryStateStore(clock);
    expect(
      () => new RealtimePublisher({ store, clock, source: new PartitionedRealtime(), owner: 'w', periodMs: 1_000, staleMs: 1_500 }),
    ).toThrow(/twice/);
    await store.setFields(REALTIME_KEYS.index, { 'sluice.agent:0': String(T) });
    await store.setFields(REALTIME_KEYS.part('sluice.agent:0'), {
      '@': JSON.stringify({ v: 1, owner: 'x', at: T }),
      acme: '{"skillGroups":[],"agents":[{"tenant":"globex","agentId":"a","state":"AVAILABLE","skillGroups":[],"since":1}],"extensions":[]}',
      globex: 'not json',
      'Bad Tenant': '{"skillGroups":[],"agents":[],"extensions":[]}',
    });
    const reader = new SharedRealtime({ store, clock });
    await reader.refresh();
    expect(reader.agents()).toEqual([]);
    expect(reader.rejected).toBe(3);
  });
});

/** Advances the clock `periods` read/write periods of 1 s, letting each fired timer's store calls finish. */
async function runSteps(clock: ManualClock, periods: number): Promise<void> {
  for (let i = 0; i < periods * 4; i++) {
    clock.advance(250);
    await settle(20);
  }
}
