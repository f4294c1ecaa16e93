import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { connectClickHouse, type ClickHouse, type ClickHouseTarget } from '../../adapters/clickhouse/connect.js';
import { ManualClock } from '../../adapters/clock.js';
import { agentPipeline } from '../../pipelines/agent/pipeline.js';
import { storeDeadLetters } from '../../pipelines/dead-letters.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../pipelines/decode.js';
import type { Source, TelemetryEvent } from '../../pipelines/events/types.js';
import { extensionPipeline } from '../../pipelines/extension/pipeline.js';
import { intervalPipeline } from '../../pipelines/interval/pipeline.js';
import { skillGroupPipeline } from '../../pipelines/skillgroup/pipeline.js';
import { ClickHouseTelemetryStore } from '../../pipelines/store/clickhouse.js';
import type { TelemetryStore } from '../../pipelines/store/types.js';
import { entityOf } from '../../pipelines/store/clickhouse.js';
import { partitionKey } from '../../pipelines/topics.js';
import { PipelineWorker } from '../../pipelines/worker.js';
import { eventually } from '../../core/testing/eventually.js';
import { clickhouseTargets } from '../support/clickhouse.js';

// Recent times: raw rows older than the TTL are dropped at insert.
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const T = NOW - 30 * 60_000;
const SOURCES: Source[] = ['agent', 'extension', 'skillgroup', 'interval'];
const windows = { outOfOrdernessMs: 0, allowedLatenessMs: 0, intervalMinutes: 15 } as const;

let n = 0;
const id = () => `e${++n}`;
const sg = (skillGroup: string, ts = T): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: id(),
  ts,
  body: { skillGroup, callId: `c${n}`, type: 'OFFERED' },
});
const agent = (agentId: string, ts = T): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'agent',
  id: id(),
  ts,
  body: { agentId, state: 'AVAILABLE' },
});
const ext = (extension: string, ts = T): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'extension',
  id: id(),
  ts,
  body: { extension, state: 'IDLE' },
});
const report = (intervalStart: number, key = 'sales', ts = T): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'interval',
  id: id(),
  ts,
  body: { scope: 'skillgroup', key, intervalStart, intervalSec: 900, offered: 4 },
});

/** One chDB database, a bus, and a worker with all four pipelines over them. */
async function setup(
  target: ClickHouseTarget,
  opts: { ttlDays?: number; limits?: DecodeLimits; wrap?: (s: TelemetryStore) => TelemetryStore } = {},
) {
  const ch: ClickHouse = await connectClickHouse(target, `poison_${randomUUID().replaceAll('-', '')}`);
  const store = await ClickHouseTelemetryStore.open(ch, { rawTtlDays: opts.ttlDays ?? 30 });
  const bus = new MemoryBus();
  await bus.ensureTopics(SOURCES.map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
  const producer = await bus.producer();
  const worker = new PipelineWorker({
    bus,
    store: opts.wrap ? opts.wrap(store) : store,
    clock: new ManualClock(NOW),
    limits: opts.limits,
    maxRetryDelayMs: 50,
    pipelines: {
      skillgroup: skillGroupPipeline({ ...windows, serviceLevelMs: 20_000, shortAbandonMs: 5_000 }),
      agent: agentPipeline(windows),
      extension: extensionPipeline(windows),
      interval: intervalPipeline(),
    },
  });
  let sent = 0;
  /** Sends events (or raw texts) to their source's topic, as a collector would. */
  const send = async (items: (TelemetryEvent | { source: Source; text: string })[]) => {
    for (const s of SOURCES) {
      const mine = items.filter((i) => ('text' in i ? i.source : i.source) === s);
      if (mine.length === 0) continue;
      await producer.send(
        `sluice.${s}`,
        mine.map((i) =>
          'text' in i ? { key: 'acme|x', value: i.text } : { key: partitionKey(i.tenant, entityOf(i)), value: JSON.stringify(i) },
        ),
      );
      sent += mine.length;
    }
  };
  const stored = async (ids: string[]) => {
    const rs = await ch.client.query({
      query: `SELECT id, count() AS n FROM ${ch.database}.events_raw FINAL WHERE id IN {ids:Array(String)} GROUP BY id`,
      query_params: { ids },
      format: 'JSONEachRow',
    });
    return new Map((await rs.json<{ id: string; n: string }>()).map((r) => [r.id, Number(r.n)]));
  };
  const done = () =>
    eventually(
      async () => worker.handled,
      (h) => h === sent,
      `the worker to handle all ${sent} messages`,
      30_000,
    );
  return {
    ch,
    store,
    bus,
    worker,
    send,
    stored,
    done,
    close: async () => {
      await worker.stop();
      await store.close();
    },
  };
}

describe.each(clickhouseTargets)('poison events on the real engine ($name)', ({ target }) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('refuses each poison at the schema with its reason, stores the rest of its batch, and every partition moves on', async () => {
    const s = await setup(target());
    close = s.close;
    const good = [sg('sales'), agent('a1'), ext('2001'), report(T - 900_000)];
    const poison = [sg('sg\ud800x'), agent('a\ud800x'), ext('20\u00001'), report(1e300), sg('sales\u0000')];
    await s.send([good[0]!, poison[0]!, good[1]!, poison[1]!, good[2]!, poison[2]!, poison[3]!, good[3]!, poison[4]!]);
    await s.worker.start();
    await s.done();
    // Later events of every source are stored: nothing is stuck behind the poison.
    const later = [sg('sales', T + 120_000), agent('a1', T + 120_000), ext('2001', T + 120_000), report(T, 'care', T + 120_000)];
    await s.send(later);
    await s.done();
    const stored = await s.stored([...good, ...later, ...poison].map((e) => e.id));
    expect(Object.fromEntries(stored)).toEqual(Object.fromEntries([...good, ...later].map((e) => [e.id, 1])));
    const dead = await s.store.deadLetters(20);
    const rule = 'must be text without control characters (NUL, line breaks, …) or lone surrogates';
    expect(dead.map((d) => [d.source, d.code, d.reason]).sort()).toEqual([
      ['agent', 'schema', `schema: body.agentId ${rule}`],
      ['extension', 'schema', `schema: body.extension ${rule}`],
      ['interval', 'schema', 'schema: body.intervalStart must be <= 10413791999999'],
      ['skillgroup', 'schema', `schema: body.skillGroup ${rule}`],
      ['skillgroup', 'schema', `schema: body.skillGroup ${rule}`],
    ]);
    // Each with its original bytes.
    expect(dead.map((d) => d.payload.toString()).sort()).toEqual(poison.map((p) => JSON.stringify(p)).sort());
    // The interval partition (no windows to hold it back) is committed past everything.
    expect((await s.bus.committed('sluice-pipelines', 'sluice.interval')).get(0)).toBe(3);
    // The skill-group partition is committed past the poison, up to the one event its open minute still needs.
    expect((await s.bus.committed('sluice-pipelines', 'sluice.skillgroup')).get(0)).toBe(3);
    expect(
      (await s.store.minutes({ tenant: 'acme', from: T, to: T + 180_000 })).map((r) => [r.skillGroup, r.windowStart, r.offered]),
    ).toEqual([
      ['sales', T, 1],
      ['sales', T + 120_000, 1],
    ]);
  });

  it('stores one batch of interval reports of one key in 101 months (a backfill), never refused as too many partitions', async () => {
    const tenYears = 3_650 * 86_400_000;
    const s = await setup(target(), { ttlDays: 5_000, limits: { ...DEFAULT_DECODE_LIMITS, maxPastMs: tenYears } });
    close = s.close;
    const first = new Date(NOW);
    const months = Array.from({ length: 101 }, (_, i) =>
      report(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() - 101 + i, 1), 'sales', T + i),
    );
    await s.send(months);
    await s.worker.start();
    await s.done();
    const rows = await s.store.intervalReports({ tenant: 'acme', from: 0, to: NOW, scope: 'skillgroup', key: 'sales' });
    expect(rows.map((r) => r.intervalStart)).toEqual(months.map((m) => (m.body as { intervalStart: number }).intervalStart));
    expect([...(await s.stored(months.map((m) => m.id))).values()]).toEqual(months.map(() => 1));
    expect(await s.store.deadLetters(5)).toEqual([]);
    expect((await s.bus.committed('sluice-pipelines', 'sluice.interval')).get(0)).toBe(101);
  });

  it("dead-letters, with ClickHouse's reason, a raw event and a figure row that passed the schema but ClickHouse refuses; stores the rest and moves on", async () => {
    // Stand-ins for a gap in the schema: this store turns one event and one minute row into what
    // ClickHouse really refuses (a time of 1e300: code 27; a lone surrogate: code 25).
    const corrupt = (store: TelemetryStore): TelemetryStore =>
      new Proxy(store, {
        get(target, prop) {
          const v = Reflect.get(target, prop) as (...a: unknown[]) => unknown;
          if (prop === 'insertEvents') {
            return (events: TelemetryEvent[], token: string, received?: Uint8Array[]) => {
              const bad = (e: TelemetryEvent) => (e.id === 'refused-raw' ? { ...e, ts: 1e300 } : e);
              return target.insertEvents(
                events.map(bad),
                token,
                received?.map((r, i) => (events[i]!.id === 'refused-raw' ? Buffer.from(JSON.stringify(bad(events[i]!))) : r)),
              );
            };
          }
          if (prop === 'upsertMinutes')
            return (rows: { skillGroup: string }[], token?: string) =>
              target.upsertMinutes(
                rows.map((r) => (r.skillGroup === 'refused-row' ? { ...r, skillGroup: 'refused-row\ud800' } : r)) as never,
                token,
              );
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    const s = await setup(target(), { wrap: corrupt });
    close = s.close;
    const raw = { ...sg('care'), id: 'refused-raw' };
    const batch = [sg('sales'), raw, sg('refused-row'), sg('sales', T + 1_000), sg('care', T + 2_000)];
    await s.send(batch);
    await s.worker.start();
    await s.done();
    const later = [sg('sales', T + 180_000)];
    await s.send(later);
    await s.done();
    const stored = await s.stored([...batch, ...later].map((e) => e.id));
    expect(Object.fromEntries(stored)).toEqual(Object.fromEntries([...batch, ...later].filter((e) => e !== raw).map((e) => [e.id, 1])));
    const dead = await s.store.deadLetters(20);
    const rawLetter = dead.find((d) => d.origin === 'sluice.skillgroup:0:1');
    expect(rawLetter).toMatchObject({ tenant: 'acme', source: 'skillgroup', code: 'store-refused' });
    expect(rawLetter!.reason).toMatch(/^ClickHouse code 27 \(CANNOT_PARSE_INPUT_ASSERTION_FAILED\): Cannot parse input/);
    expect(rawLetter!.payload.toString()).toBe(JSON.stringify(raw));
    const rowLetters = dead.filter((d) => d.origin.startsWith('sluice.skillgroup:0:0-4:upsertMinutes:'));
    expect(rowLetters.length).toBeGreaterThanOrEqual(1);
    expect(rowLetters[0]).toMatchObject({ tenant: 'acme', source: 'skillgroup', code: 'store-refused' });
    expect(rowLetters[0]!.reason).toMatch(/^ClickHouse code 25 \(CANNOT_PARSE_ESCAPE_SEQUENCE\): Cannot parse escape sequence/);
    expect(JSON.parse(rowLetters[0]!.payload.toString())).toMatchObject({ tenant: 'acme', skillGroup: 'refused-row', windowStart: T });
    // Every other minute row is stored, the care minute included (its window took the refused raw event too).
    const minutes = await s.store.minutes({ tenant: 'acme', from: T, to: T + 240_000 });
    expect(minutes.map((r) => [r.skillGroup, r.windowStart, r.offered])).toEqual([
      ['care', T, 2],
      ['sales', T, 2],
      ['sales', T + 180_000, 1],
    ]);
  });

  it('stores dead letters that would be refused as they came: lone surrogates, absurd times', async () => {
    const ch = await connectClickHouse(target(), `poison_${randomUUID().replaceAll('-', '')}`);
    const store = await ClickHouseTelemetryStore.open(ch, { rawTtlDays: 30 });
    close = () => store.close();
    const lost: string[] = [];
    const sink = storeDeadLetters(store, (_row, reason) => lost.push(reason));
    const payload = Buffer.from('{"tenant":"a\\ud800"}');
    await sink.write(
      [
        {
          tenant: 'a\ud800',
          source: 'http\udfff',
          code: 'schema',
          reason: `r\ud800${'x'.repeat(5_000)}`,
          payload,
          origin: 'http:1:0\ud800',
          receivedAt: NOW,
        },
        { tenant: 'b', source: 'http', code: 'schema', reason: 'r', payload, origin: 'http:1:1', receivedAt: 1e300 },
      ],
      'd1',
    );
    expect(lost).toEqual([]);
    const dead = await store.deadLetters(10);
    expect(dead.map((d) => [d.tenant, d.source, d.origin, d.reason.length]).sort()).toEqual([
      ['a\uFFFD', 'http\uFFFD', 'http:1:0\uFFFD', 1_000],
      ['b', 'http', 'http:1:1', 1],
    ]);
    expect(dead.every((d) => d.payload.equals(payload))).toBe(true);
  });
});
