import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { systemClock } from '../../adapters/clock.js';
import { connectClickHouse, type ClickHouse } from '../../adapters/clickhouse/connect.js';
import type { SkillGroupEvent } from '../../pipelines/events/types.js';
import { skillGroupPipeline } from '../../pipelines/skillgroup/pipeline.js';
import { seededRandom } from '../../adapters/random.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import type { TelemetryStore } from '../../pipelines/store/types.js';
import { partitionKey } from '../../pipelines/topics.js';
import { PipelineWorker } from '../../pipelines/worker.js';
import { eventually } from '../../core/testing/eventually.js';

const MINUTE = 60_000;
const TENANTS = ['acme', 'globex'];
const GROUPS = ['sales', 'support', 'billing', 'care', 'vip'];

/** A stream over 20 event-minutes, mildly out of order, with its exact expected offered counts. */
function stream(base: number, n: number, seed: number) {
  const rand = seededRandom(seed);
  const events: SkillGroupEvent[] = Array.from({ length: n }, (_, i) => ({
    v: 1,
    tenant: TENANTS[i % 2]!,
    source: 'skillgroup',
    id: `${seed}-${i}`,
    ts: base + Math.floor((i / n) * 20 * MINUTE) - Math.floor(rand() * 2_000),
    body: {
      skillGroup: GROUPS[Math.floor(rand() * GROUPS.length)]!,
      callId: `c${i}`,
      type: rand() < 0.6 ? 'OFFERED' : 'ANSWERED',
      waitMs: 1_000,
    },
  }));
  const expected = new Map<string, number>();
  for (const e of events) {
    const k = `${e.tenant}|${e.body.skillGroup}|${Math.floor(e.ts / MINUTE) * MINUTE}`;
    if (e.body.type === 'OFFERED') expected.set(k, (expected.get(k) ?? 0) + 1);
    else if (!expected.has(k)) expected.set(k, 0);
  }
  return { events, expected };
}

async function offeredTotals(store: TelemetryStore, base: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const tenant of TENANTS) {
    for (const r of await store.minutes({ tenant, from: base - 2 * MINUTE, to: base + 30 * MINUTE }))
      out.set(`${r.tenant}|${r.skillGroup}|${r.windowStart}`, r.offered);
  }
  return out;
}

const same = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...b].every(([k, v]) => a.get(k) === v);

/**
 * The real ClickHouse store behind a switch that makes every write (insert*, upsert*) fail as if the
 * server were down; reads pass through.
 */
function switchable(inner: TelemetryStore) {
  const state = { down: false, failedWrites: 0 };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const write = typeof prop === 'string' && /^(insert|upsert)/.test(prop);
      return (...args: unknown[]) => {
        if (write && state.down) {
          state.failedWrites++;
          return Promise.reject(new Error('ClickHouse unavailable (connect ECONNREFUSED)'));
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, state };
}

describe('pipeline workers on real Kafka and chDB', () => {
  let bus: KafkaBus;
  beforeAll(async () => {
    bus = new KafkaBus({ brokers: [inject('kafkaBrokers')] });
  });
  /** A database of its own per test: both tests write the same tenants and minutes. */
  const freshStore = async () => {
    const ch: ClickHouse = await connectClickHouse({ kind: 'chdb', path: ':memory:' }, `group_${randomUUID().replaceAll('-', '')}`);
    return ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
  };
  afterAll(async () => {
    await bus.close();
  });

  async function topicWith(events: SkillGroupEvent[]): Promise<string> {
    const prefix = `grp${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `${prefix}.${s}`, partitions: 4 })));
    const producer = await bus.producer();
    for (let i = 0; i < events.length; i += 1_000) {
      await producer.send(
        `${prefix}.skillgroup`,
        events.slice(i, i + 1_000).map((e) => ({ key: partitionKey(e.tenant, e.body.skillGroup), value: JSON.stringify(e) })),
      );
    }
    await producer.close();
    return prefix;
  }

  const worker = (prefix: string, store: TelemetryStore) =>
    new PipelineWorker({
      bus,
      store,
      clock: systemClock,
      groupId: `${prefix}-g`,
      topicPrefix: prefix,
      maxRetryDelayMs: 500,
      pipelines: {
        skillgroup: skillGroupPipeline({
          serviceLevelMs: 20_000,
          shortAbandonMs: 5_000,
          outOfOrdernessMs: 5_000,
          allowedLatenessMs: 120_000,
        }),
      },
    });

  it('two workers sharing the partitions, one joining and one leaving mid-stream (two rebalances), give exact totals', async () => {
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 40 * MINUTE;
    const { events, expected } = stream(base, 12_000, 7);
    const prefix = await topicWith(events);
    const store = await freshStore();
    const a = worker(prefix, store);
    await a.start();
    await eventually(
      async () => a.handled,
      (n) => n > 1_000,
      'worker A progress',
      60_000,
    );
    const b = worker(prefix, store); // rebalance: B takes some partitions, possibly mid-window
    await b.start();
    await eventually(
      async () => b.handled,
      (n) => n > 0,
      'worker B progress',
      60_000,
    );
    await a.stop(); // rebalance again: B takes everything, re-reading what A had not committed
    const totals = await eventually(
      () => offeredTotals(store, base),
      (t) => same(t, expected),
      'exact totals with B alone',
      90_000,
    );
    expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(expected));
    expect(await store.countEvents('acme')).toBe(events.filter((e) => e.tenant === 'acme').length);
    await b.stop();
  });

  it('pauses while ClickHouse is unavailable (nothing committed, one batch held), and resumes without loss when it returns', async () => {
    const base = Math.floor(Date.now() / MINUTE) * MINUTE - 40 * MINUTE;
    const { events, expected } = stream(base, 8_000, 11);
    const prefix = await topicWith(events);
    const { store, state } = switchable(await freshStore());
    state.down = true;
    const w = worker(prefix, store);
    await w.start();
    await eventually(
      async () => state.failedWrites,
      (n) => n >= 3,
      'retries while down',
      60_000,
    );
    // While down, nothing is processed or committed, and the worker holds only the batch in flight.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(w.handled).toBe(0);
    const committed = await bus.committed(`${prefix}-g`, `${prefix}.skillgroup`);
    expect([...committed.values()].every((o) => o <= 0)).toBe(true);
    state.down = false;
    const totals = await eventually(
      () => offeredTotals(store, base),
      (t) => same(t, expected),
      'exact totals after ClickHouse returned',
      90_000,
    ).catch(async (err: Error) => {
      const got = await offeredTotals(store, base);
      const diff = [...expected]
        .filter(([k, v]) => got.get(k) !== v)
        .slice(0, 5)
        .map(([k, v]) => `${k}: expected ${v}, got ${got.get(k)}`);
      throw new Error(`${err.message}; handled ${w.handled}, ${got.size}/${expected.size} rows; ${diff.join('; ')}`);
    });
    expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(expected));
    await w.stop();
  });
});
