import { describe, expect, it } from 'vitest';
import type { StateWindowOptions } from '../timelines/state-partition.js';
import type { ExtensionEvent, ExtensionState } from '../events/types.js';
import { ExtensionPartition } from './pipeline.js';
import type { ExtensionWindowRow } from './rows.js';

const T0 = Date.UTC(2026, 0, 12, 9, 0);
const at = (min: number, sec = 0) => T0 + min * 60_000 + sec * 1_000;
const opts: StateWindowOptions = { outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, intervalMinutes: 30 };
let seq = 0;
const ev = (ts: number, state: ExtensionState, extension = '2001'): ExtensionEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'extension',
  id: `x${++seq}`,
  ts,
  body: { extension, state },
});
const items = (events: ExtensionEvent[], from = 0) => events.map((event, i) => ({ event, offset: from + i }));

function run(events: ExtensionEvent[], cut = events.length): Map<string, ExtensionWindowRow> {
  const p = new ExtensionPartition(opts);
  const rows = new Map<string, ExtensionWindowRow>();
  for (let i = 0; i < events.length; i += cut)
    for (const r of p.process(items(events.slice(i, i + cut), i), i).rows) rows.set(`${r.extension}|${r.windowSec}|${r.windowStart}`, r);
  p.close();
  return rows;
}

const s = (n: number) => n * 1_000;
const morning = [
  ev(at(0), 'IDLE'),
  ev(at(1, 30), 'RINGING'),
  ev(at(1, 45), 'BUSY'),
  ev(at(12, 45), 'IDLE'),
  ev(at(20), 'DND'),
  ev(at(35), 'IDLE'),
  ev(at(58), 'UNAVAILABLE'),
  ev(at(91), 'IDLE', '2002'),
];

describe('ExtensionPartition', () => {
  it('turns a morning of device states into hand-computed 30-minute intervals; unavailable time is not accumulated', () => {
    const rows = run(morning);
    expect(rows.get(`2001|1800|${at(0)}`)).toMatchObject({
      final: true,
      ms: { IDLE: s(90 + 435), RINGING: s(15), BUSY: s(660), UNAVAILABLE: 0, DND: s(600) },
      entries: { IDLE: 2, RINGING: 1, BUSY: 1, UNAVAILABLE: 0, DND: 1 },
    });
    expect(rows.get(`2001|1800|${at(30)}`)).toMatchObject({
      final: true,
      ms: { DND: s(300), IDLE: s(1380), UNAVAILABLE: 0 },
      entries: { IDLE: 1, UNAVAILABLE: 1, DND: 0 },
    });
    // Unavailable all along: no time to count, so no row (as for a logged-out agent).
    expect(rows.get(`2001|1800|${at(60)}`)).toBeUndefined();
    expect(rows.get(`2001|60|${at(59)}`)).toBeUndefined();
    expect(rows.get(`2002|60|${at(91)}`)).toMatchObject({ final: false, entries: { IDLE: 1 } });
    expect(rows.get(`2001|60|${at(1)}`)).toMatchObject({
      ms: { IDLE: s(30), RINGING: s(15), BUSY: s(15) },
      entries: { RINGING: 1, BUSY: 1 },
    });
  });

  it('gives the same final rows however the stream is cut, late corrections included', () => {
    const states: ExtensionState[] = ['IDLE', 'RINGING', 'BUSY', 'IDLE', 'DND', 'UNAVAILABLE'];
    const events = Array.from({ length: 240 }, (_, i) =>
      ev(at(0, i * 9) + ((i * 1_777) % 4_000) - (i % 11 === 0 ? 120_000 : 0), states[(i * 7) % states.length]!, `20${i % 3}`),
    );
    const finals = (cut: number) => new Map([...run(events, cut)].filter(([, r]) => r.final));
    const one = finals(240);
    expect(one.size).toBeGreaterThan(40);
    expect(finals(5)).toEqual(one);
    expect(finals(1)).toEqual(one);
  });

  it('corrects the windows a late change touches', () => {
    const p = new ExtensionPartition(opts);
    p.process(items([ev(at(0), 'IDLE'), ev(at(5), 'IDLE', '2002')]), 0);
    const out = p.process(items([ev(at(2, 20), 'BUSY')], 2), 1);
    expect(out.rows.find((r) => r.extension === '2001' && r.windowSec === 60 && r.windowStart === at(2))).toMatchObject({
      final: true,
      ms: { IDLE: s(20), BUSY: s(40) },
      entries: { BUSY: 1 },
    });
    expect(out.rows.find((r) => r.extension === '2001' && r.windowSec === 60 && r.windowStart === at(3))).toMatchObject({
      ms: { IDLE: 0, BUSY: s(60) },
    });
    expect(p.commitPosition(3)).toBe(0);
  });
});
