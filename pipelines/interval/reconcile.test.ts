import { describe, expect, it } from 'vitest';
import type { IntervalEvent, SkillGroupEvent, TelemetryEvent } from '../events/types.js';
import type { PipelineFactory } from '../partition.js';
import { skillGroupPipeline } from '../skillgroup/pipeline.js';
import { MemoryTelemetryStore } from '../store/memory.js';
import { intervalPipeline } from './pipeline.js';

const T = Date.UTC(2026, 0, 12, 9, 0);
let n = 0;
const call = (ts: number, type: SkillGroupEvent['body']['type'], extra: Partial<SkillGroupEvent['body']> = {}): SkillGroupEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `s${++n}`,
  ts,
  body: { skillGroup: 'sales', callId: `c${n}`, type, ...extra },
});
const vendor = (ts: number, body: Partial<IntervalEvent['body']>): IntervalEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'interval',
  id: `v${++n}`,
  ts,
  body: { scope: 'skillgroup', key: 'sales', intervalStart: T, intervalSec: 900, ...body },
});

async function feed(factory: PipelineFactory, store: MemoryTelemetryStore, events: TelemetryEvent[]): Promise<void> {
  const p = factory();
  const out = p.process(
    events.map((event, offset) => ({ event, offset })),
    0,
  );
  await out.store(store);
  await out.store(store); // a retry stores nothing twice
  out.afterStore();
  p.close();
}

describe('reconciliation from raw events', () => {
  it('shows where the vendor and Sluice disagree about the same 15 minutes', async () => {
    const store = new MemoryTelemetryStore();
    await feed(
      skillGroupPipeline({ serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000 }),
      store,
      [
        call(T + 10_000, 'OFFERED'),
        call(T + 25_000, 'ANSWERED', { waitMs: 15_000 }),
        call(T + 60_000, 'OFFERED'),
        call(T + 95_000, 'ABANDONED', { waitMs: 35_000 }),
        call(T + 200_000, 'OFFERED'),
        call(T + 230_000, 'ANSWERED', { waitMs: 30_000 }),
        call(T + 400_000, 'COMPLETED', { talkMs: 180_000, holdMs: 20_000, acwMs: 30_000 }),
        call(T + 1_000_000, 'OFFERED'), // next interval: closes 09:00–09:15
      ],
    );
    // The vendor saw one more offered call (a call Sluice never received) and rounded talk time.
    await feed(intervalPipeline(), store, [
      vendor(T + 905_000, { offered: 9, answered: 2, abandoned: 1 }),
      vendor(T + 960_000, {
        offered: 4,
        answered: 2,
        abandoned: 1,
        answeredWithinSl: 1,
        talkSec: 180,
        holdSec: 20,
        acwSec: 30,
        handled: 1,
      }), // resent: replaces
    ]);
    const [row, ...rest] = await store.reconcileIntervals({ tenant: 'acme', from: T, to: T + 900_000 });
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      skillGroup: 'sales',
      intervalStart: T,
      intervalSec: 900,
      sluiceMinutes: 4, // minutes 0, 1, 3 and 6 had calls
      sluice: { offered: 3, answered: 2, abandoned: 1, answeredWithinSl: 1, handled: 1, talkSec: 180, holdSec: 20, acwSec: 30 },
      difference: { offered: -1, answered: 0, abandoned: 0, answeredWithinSl: 0, handled: 0, talkSec: 0, overflowed: null },
      mismatched: ['offered'],
    });
    const [own] = await store.skillGroupIntervals({ tenant: 'acme', from: T, to: T + 900_000, intervalMinutes: 15 });
    expect(own).toMatchObject({ sums: { offered: 3, answered: 2 }, asaMs: 22_500, serviceLevel: { answered: 0.5 }, ahtMs: 230_000 });
  });
});
