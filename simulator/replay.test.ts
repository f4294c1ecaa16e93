import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateEvent } from '../pipelines/events/schema.js';
import { ANONYMOUS_BANK_FILE, loadBankDataset, type BankCall, type DatasetLoad } from './dataset.js';
import { bankCallEvents, replayBankEvents, summariseDataset, type DatasetSummary } from './replay.js';

let load: DatasetLoad;
let summary: DatasetSummary;
/** Valid records as plain field arrays: every 17-field, non-phantom line the loader did not report. */
let records: string[][];
beforeAll(async () => {
  load = await loadBankDataset();
  summary = summariseDataset(load);
  const bad = new Set(load.malformed.map((m) => m.line));
  records = readFileSync(ANONYMOUS_BANK_FILE, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l, i) => ({ f: l.split('\t'), line: i + 2 }))
    .filter(({ f, line }) => f.length === 17 && f[12] !== 'PHANTOM' && !bad.has(line))
    .map(({ f }) => f);
});

const T = Date.UTC(1999, 9, 12, 8, 0);
const call = (over: Partial<BankCall>): BankCall => ({
  line: 2,
  vruLine: 'AA0101',
  callId: '7',
  customerId: '0',
  priority: 2,
  type: 'NE',
  date: '991012',
  vru: { start: T - 20_000, exit: T, sec: 20 },
  queue: { start: T, exit: T + 30_000, sec: 30 },
  outcome: 'AGENT',
  service: { start: T + 30_000, exit: T + 150_000, sec: 120 },
  server: 'TOVA',
  ...over,
});

describe('a call becomes queue events', () => {
  it('queued and served: OFFERED at q_start, ANSWERED at ser_start with the wait, COMPLETED at ser_exit with the talk time', () => {
    expect(bankCallEvents(call({})).map((e) => [e.id, e.ts, e.body])).toEqual([
      ['ab-AA0101-7-o', T, { skillGroup: 'NE', callId: 'AA0101-7', type: 'OFFERED', priority: 2 }],
      [
        'ab-AA0101-7-a',
        T + 30_000,
        { skillGroup: 'NE', callId: 'AA0101-7', type: 'ANSWERED', priority: 2, waitMs: 30_000, agentId: 'TOVA' },
      ],
      [
        'ab-AA0101-7-c',
        T + 150_000,
        { skillGroup: 'NE', callId: 'AA0101-7', type: 'COMPLETED', priority: 2, waitMs: 30_000, talkMs: 120_000, agentId: 'TOVA' },
      ],
    ]);
  });

  it('queued and hung up: OFFERED, then ABANDONED at q_exit with the wait', () => {
    const e = bankCallEvents(call({ outcome: 'HANG', service: null, server: null }), { tenant: 'bank', shiftMs: 1000 });
    expect(e.map((x) => [x.tenant, x.ts, x.body.type, x.body.waitMs])).toEqual([
      ['bank', T + 1000, 'OFFERED', undefined],
      ['bank', T + 31_000, 'ABANDONED', 30_000],
    ]);
  });

  it('served without queueing: answered at once (or nothing with direct: skip); hung up in the VRU: nothing', () => {
    const direct = call({ queue: null, service: { start: T + 1000, exit: T + 61_000, sec: 60 }, server: null });
    expect(bankCallEvents(direct).map((e) => [e.ts, e.body.type, e.body.waitMs, e.body.agentId])).toEqual([
      [T + 1000, 'OFFERED', undefined, undefined],
      [T + 1000, 'ANSWERED', 0, undefined],
      [T + 61_000, 'COMPLETED', 0, undefined],
    ]);
    expect(bankCallEvents(direct, { direct: 'skip' })).toEqual([]);
    expect(bankCallEvents(call({ queue: null, outcome: 'HANG', service: null, server: null }))).toEqual([]);
  });
});

describe('replaying the real file', () => {
  it('gives valid events in event-time order with unique ids, three per answered call and two per abandoned one', () => {
    const events = replayBankEvents(load.calls);
    expect(events.length).toBe(3 * summary.total.answered + 2 * summary.total.abandoned);
    const ids = new Set(events.map((e) => e.id));
    expect(ids.size).toBe(events.length);
    expect(events.findIndex((e, i) => i > 0 && e.ts < events[i - 1]!.ts)).toBe(-1);
    const invalid = events
      .filter((_, i) => i % 50 === 0)
      .map((e) => validateEvent(JSON.parse(JSON.stringify(e))))
      .filter((v) => !v.ok);
    expect(invalid).toEqual([]);
    expect(new Set(events.map((e) => e.tenant))).toEqual(new Set(['anonymous-bank']));
    expect(new Set(events.map((e) => e.body.skillGroup))).toEqual(new Set(['PS', 'PE', 'IN', 'NE', 'NW', 'TT']));
    // October 1999, Israel (UTC+2), plus the calls running past midnight on the 31st.
    expect(events[0]!.ts).toBeGreaterThanOrEqual(Date.UTC(1999, 9, 1) - 2 * 3_600_000);
    expect(events.at(-1)!.ts).toBeLessThan(Date.UTC(1999, 10, 1, 1));
  });

  it('summarises per service type: figures that a separate count over the raw fields confirms', () => {
    const where = (p: (f: string[]) => boolean) => records.filter(p);
    const mean = (xs: string[][], col: number) => xs.reduce((s, f) => s + Number(f[col]), 0) / xs.length;
    const psAnswered = where((f) => f[4] === 'PS' && f[12] === 'AGENT');
    expect(summary.byType.PS.answered).toBe(psAnswered.length);
    expect(summary.byType.PS.meanWaitAnsweredSec).toBeCloseTo(mean(psAnswered, 11), 9);
    const neAnswered = where((f) => f[4] === 'NE' && f[12] === 'AGENT');
    expect(summary.byType.NE.meanServiceSec).toBeCloseTo(mean(neAnswered, 15), 9);
    expect(summary.byType.IN.queued).toBe(where((f) => f[4] === 'IN' && f[9] !== '0:00:00').length);
    expect(summary.byType.NW.abandoned).toBe(where((f) => f[4] === 'NW' && f[12] === 'HANG' && f[9] !== '0:00:00').length);
    expect(summary.byType.TT.calls).toBe(where((f) => f[4] === 'TT').length);
    expect(summary.total.vruOnly).toBe(where((f) => f[12] === 'HANG' && f[9] === '0:00:00').length);
    expect(summary.total.direct).toBe(where((f) => f[12] === 'AGENT' && f[9] === '0:00:00').length);
  });

  it('summarises the whole file, malformed records by type and reason', () => {
    expect(summary.total).toMatchObject({ calls: 34_432, answered: 30_817, abandoned: 2106, vruOnly: 1509, direct: 21_033, malformed: 46 });
    expect(summary.phantom).toBe(147);
    expect(summary.malformed.byCode).toEqual({
      'answered-before-queued': 21,
      'no-service-times': 22,
      'duration-mismatch': 1,
      'field-count': 2,
    });
    expect(summary.byType.PS.malformedByCode).toEqual({ 'answered-before-queued': 15, 'no-service-times': 11, 'duration-mismatch': 1 });
    const perType = Object.values(summary.byType).reduce((n, t) => n + t.malformed, 0);
    expect(perType).toBe(44); // the two shifted records have no readable type
    const s = summary.byType.PS;
    expect(s.calls).toBe(s.answered + s.abandoned + s.vruOnly);
  });
});
