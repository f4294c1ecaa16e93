import { describe, expect, it } from 'vitest';
import type { IntervalEvent } from '../events/types.js';
import { IntervalPartition } from './pipeline.js';

const START = Date.UTC(2026, 0, 12, 9, 0);
const ev = (id: string, ts: number, body: Partial<IntervalEvent['body']> = {}): IntervalEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'interval',
  id,
  ts,
  body: { scope: 'skillgroup', key: 'sales', intervalStart: START, intervalSec: 900, offered: 10, talkSec: 61.5, ...body },
});

/** A batch as the worker hands it: events with their offsets. */
const batch = (...events: IntervalEvent[]) => events.map((event, offset) => ({ event, offset }));

describe('IntervalPartition', () => {
  it('stores each report as received: counters untouched, the event time as version', () => {
    const p = new IntervalPartition();
    const out = p.process(batch(ev('r1', START + 960_000, { customKpi: 3 })));
    expect({ duplicates: out.duplicates, late: out.late, rows: out.rows }).toEqual({
      duplicates: 0,
      late: 0,
      rows: [
        {
          tenant: 'acme',
          scope: 'skillgroup',
          key: 'sales',
          intervalStart: START,
          intervalSec: 900,
          version: START + 960_000,
          counters: { offered: 10, talkSec: 61.5, customKpi: 3 },
          eventId: 'r1',
        },
      ],
    });
  });

  it('drops duplicate ids and keeps the newest report of an interval within a batch', () => {
    const p = new IntervalPartition();
    const out = p.process(
      batch(
        ev('r1', START + 960_000),
        ev('r1', START + 960_000),
        ev('r2', START + 990_000, { offered: 11 }),
        ev('r0', START + 950_000, { offered: 9 }),
        ev('r3', START + 990_000, { intervalSec: 1800 }),
      ),
    );
    expect(out.duplicates).toBe(1);
    expect(out.rows.map((r) => [r.intervalSec, r.counters.offered, r.eventId])).toEqual([
      [900, 11, 'r2'],
      [1800, 10, 'r3'],
    ]);
    expect(p.process(batch(ev('r2', START + 990_000))).duplicates).toBe(1);
    p.close();
  });
});
