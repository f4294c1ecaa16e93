import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_BANK_FILE, BANK_FIELDS, DatasetFormatError, loadBankDataset, parseBankDataset, type DatasetLoad } from './dataset.js';
import { BANK_PROFILE } from './profile.js';

// The real file (Anonymous Bank, Israel, October 1999; Guedj & Mandelbaum, Technion): its defects, found by reading it.
const MALFORMED: [line: number, code: string][] = [
  [690, 'answered-before-queued'],
  [1577, 'answered-before-queued'],
  [1893, 'no-service-times'],
  [3109, 'no-service-times'],
  [4369, 'answered-before-queued'],
  [5288, 'duration-mismatch'],
  [7201, 'answered-before-queued'],
  [7294, 'answered-before-queued'],
  [7315, 'field-count'],
  [7632, 'answered-before-queued'],
  [7659, 'answered-before-queued'],
  [7660, 'answered-before-queued'],
  [8039, 'no-service-times'],
  [9363, 'answered-before-queued'],
  [9533, 'no-service-times'],
  [10890, 'answered-before-queued'],
  [12373, 'no-service-times'],
  [13727, 'no-service-times'],
  [14118, 'no-service-times'],
  [14247, 'field-count'],
  [14435, 'no-service-times'],
  [17013, 'no-service-times'],
  [17440, 'answered-before-queued'],
  [19827, 'no-service-times'],
  [20010, 'no-service-times'],
  [20954, 'no-service-times'],
  [21008, 'no-service-times'],
  [21333, 'no-service-times'],
  [21880, 'no-service-times'],
  [21958, 'no-service-times'],
  [22531, 'no-service-times'],
  [23315, 'answered-before-queued'],
  [23353, 'answered-before-queued'],
  [24782, 'answered-before-queued'],
  [25010, 'no-service-times'],
  [25029, 'answered-before-queued'],
  [25220, 'answered-before-queued'],
  [26032, 'answered-before-queued'],
  [28717, 'no-service-times'],
  [28790, 'no-service-times'],
  [29113, 'answered-before-queued'],
  [29245, 'answered-before-queued'],
  [30917, 'no-service-times'],
  [31268, 'answered-before-queued'],
  [33278, 'answered-before-queued'],
  [34306, 'no-service-times'],
];

let load: DatasetLoad;
/** The raw records, split on tabs, by line number: for figures computed here, independently of the loader. */
let raw: Map<number, string[]>;
beforeAll(async () => {
  load = await loadBankDataset();
  raw = new Map(
    readFileSync(ANONYMOUS_BANK_FILE, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l, i) => [i + 2, l.split('\t')]),
  );
});

describe('loading the real Anonymous Bank file', () => {
  it('reads every record: 34,625 calls after the header, 147 phantom, 46 malformed, the rest kept', () => {
    expect(load.lines).toBe(34_626);
    expect(raw.size).toBe(34_625);
    expect(load.phantom).toBe(147);
    expect(load.malformed.length).toBe(46);
    expect(load.calls.length).toBe(34_625 - 147 - 46);
  });

  it('reports each malformed record with its line and reason', () => {
    expect(load.malformed.map((m) => [m.line, m.code])).toEqual(MALFORMED);
    const reason = (line: number) => load.malformed.find((m) => m.line === line)?.reason;
    expect(reason(7315)).toBe("16 fields, expected 17: priority is '0       NW', expected 0, 1 or 2 (fields shifted)");
    expect(reason(14247)).toBe("16 fields, expected 17: priority is '0       IN', expected 0, 1 or 2 (fields shifted)");
    expect(reason(5288)).toBe('ser_time 0 s disagrees with ser_exit − ser_start = 48 s');
    expect(reason(1893)).toBe('outcome AGENT but ser_start and ser_exit are 0:00:00 (served when is not recorded)');
    expect(reason(17440)).toBe('ser_start 18:52:06 is before q_start 18:52:08: served before it queued');
    // The shifted records carry a time in the outcome column, as the data README warns.
    expect(raw.get(7315)![12]).toBe('0:00:00');
  });

  it('keeps and counts the oddities that do not change the events', () => {
    const n = Object.fromEntries(Object.entries(load.notes).map(([k, v]) => [k, v.length]));
    expect(n).toEqual({
      'customer-id-exponent': 14,
      'vru-exit-before-entry': 4,
      'hang-with-service-times': 67,
      'served-without-server': 517,
      'zero-length-service': 43,
      'crosses-midnight': 37,
    });
    expect(load.notes['vru-exit-before-entry']).toEqual([4982, 6297, 25841, 31515]);
    expect(raw.get(753)![2]).toBe('6.02082E+11');
  });

  it('places times on the record date at UTC+2 and carries calls across midnight to the next day', () => {
    const call = (line: number) => load.calls.find((c) => c.line === line)!;
    // Line 3: 991001, served 7:16:08–7:17:10 local (UTC+2) without queueing.
    expect(call(3).service).toEqual({ start: Date.UTC(1999, 9, 1, 5, 16, 8), exit: Date.UTC(1999, 9, 1, 5, 17, 10), sec: 62 });
    expect(call(3).queue).toBeNull();
    // Line 1230: served 23:53:56 → 0:00:25 (389 s), exit on the next day.
    expect(raw.get(1230)!.slice(13, 16)).toEqual(['23:53:56', '0:00:25', '389']);
    const s = call(1230).service!;
    expect((s.exit - s.start) / 1000).toBe(389);
    // Line 9641: queued 23:59:25 → 0:06:59 (454 s).
    expect(call(9641).queue!.exit - call(9641).queue!.start).toBe(454_000);
    // Line 3428: VRU exit 23:59:39 on 991011, served from 0:00:04 of the 12th.
    expect(call(3428).service!.start).toBe(Date.UTC(1999, 9, 11, 22, 0, 4));
  });

  it('recomputes BANK_PROFILE: weekday (Sunday–Thursday) arrivals per hour relative to the busiest hour', () => {
    const perHour = Array.from({ length: 24 }, () => 0);
    for (const c of load.calls) {
      const day = new Date(Date.UTC(1999, Number(c.date.slice(2, 4)) - 1, Number(c.date.slice(4, 6)))).getUTCDay();
      if (day === 5 || day === 6) continue; // Friday, Saturday
      perHour[new Date(c.vru.start + 2 * 3_600_000).getUTCHours()]!++;
    }
    const max = Math.max(...perHour);
    perHour.forEach((n, h) => {
      expect(Math.abs(n / max - BANK_PROFILE[h]!)).toBeLessThan(0.01);
    });
  });
});

describe('parsing records strictly', () => {
  const header = BANK_FIELDS.join('\t');
  const rec = (over: Partial<Record<(typeof BANK_FIELDS)[number], string>> = {}) => {
    const base: Record<string, string> = {
      'vru+line': 'AA0101',
      call_id: '1',
      customer_id: '0',
      priority: '0',
      type: 'PS',
      date: '991012',
      vru_entry: '10:00:00',
      vru_exit: '10:00:10',
      vru_time: '10',
      q_start: '10:00:10',
      q_exit: '10:00:40',
      q_time: '30',
      outcome: 'AGENT',
      ser_start: '10:00:40',
      ser_exit: '10:02:40',
      ser_time: '120',
      server: 'DORIT',
    };
    return BANK_FIELDS.map((f) => over[f] ?? base[f]).join('\t');
  };
  const parse = (...lines: string[]) => parseBankDataset(`${[header, ...lines].join('\r\n')}\r\n`);

  it('accepts a consistent record, CRLF included', () => {
    const d = parse(rec());
    expect(d.malformed).toEqual([]);
    expect(d.calls[0]).toMatchObject({ line: 2, type: 'PS', server: 'DORIT', queue: { sec: 30 }, service: { sec: 120 } });
  });

  it.each<[string, string, string]>([
    [
      'a time where the outcome should be',
      rec({ outcome: '0:00:00' }),
      "outcome is '0:00:00', expected AGENT, HANG or PHANTOM (a time where the outcome should be)",
    ],
    ['a date that does not exist', rec({ date: '990231' }), "date '990231' is not a calendar date"],
    ['a date outside 1999', rec({ date: '001012' }), "date is '001012', expected YYMMDD in 1999"],
    ['a bad time', rec({ q_exit: '24:00:40' }), "q_exit is '24:00:40', expected H:MM:SS"],
    [
      'q_exit before q_start',
      rec({ q_exit: '10:00:05', q_time: '30' }),
      'q_exit 10:00:05 is before q_start 10:00:10 and q_time 30 s does not span midnight',
    ],
    ['a queue time that disagrees', rec({ q_time: '31' }), 'q_time 31 s disagrees with q_exit − q_start = 30 s'],
    ['a missing queue exit', rec({ q_start: '0:00:00' }), 'q_start is 0:00:00 (never queued) but q_exit is 10:00:40 and q_time 30 s'],
    [
      'a hang-up with a server',
      rec({ outcome: 'HANG', ser_start: '0:00:00', ser_exit: '0:00:00', ser_time: '0' }),
      'outcome HANG but server is DORIT',
    ],
  ])('reports and skips %s', (_, line, reason) => {
    const d = parse(rec(), line);
    expect(d.malformed).toEqual([{ line: 3, code: expect.any(String), reason, type: line.includes('\tPS\t') ? 'PS' : null }]);
    expect(d.calls.length).toBe(1);
  });

  it('reports empty lines and refuses a file that is not this dataset', () => {
    expect(parse(rec(), '', rec({ call_id: '2' })).malformed).toEqual([{ line: 3, code: 'empty-line', reason: 'empty line', type: null }]);
    expect(() => parseBankDataset('a\tb\n1\t2\n')).toThrow(DatasetFormatError);
  });

  it('ignores phantom calls after checking their fields', () => {
    const d = parse(rec({ outcome: 'PHANTOM', server: 'NO_SERVER' }), rec({ outcome: 'PHANTOM', vru_entry: '9:61:00' }));
    expect(d.phantom).toBe(1);
    expect(d.malformed.map((m) => m.code)).toEqual(['bad-field']);
  });
});
