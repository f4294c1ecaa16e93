import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import { ANONYMOUS_BANK_FILE } from '../simulator/dataset.js';
import { replayCommand, type ReplayIo } from './replay.js';
import { trafficCommand } from './traffic.js';

/*
 * `sluice replay --by day` on real history: the "Anonymous Bank" call records (a bank's call center in
 * Israel, October 1999; collected and documented by Ilan Guedj and Avi Mandelbaum, Technion — see
 * shared/data/README.md). `sluice traffic --replay anonymous-bank --stdout` turns the month into normalized
 * events with their 1999 times (no date shift), `sluice replay --format json --by day --utc-offset +02:00`
 * reads them back — events 26 years old, which live ingest would refuse — and prints figures per local day
 * and service type. The test works the same figures out from the TSV itself, by its own reading of the
 * columns, and wants them exactly.
 */
const BANK = process.env.SLUICE_BANK_FILE ?? fileURLToPath(ANONYMOUS_BANK_FILE);
/** Israel in October 1999: UTC+2 (the dataset's times are local wall-clock). */
const OFFSET = '+02:00';

interface DayFigures {
  offered: number;
  answered: number;
  abandoned: number;
  waitSec: number;
}

/** Seconds after midnight of H:MM:SS. */
const secs = (t: string) => {
  const [h, m, s] = t.split(':').map(Number) as [number, number, number];
  return h * 3600 + m * 60 + s;
};

/**
 * Figures per (local day, service type) straight from the TSV: a call that reached the queue (q_start set)
 * is offered when it queued, then answered when served (wait q_time) or abandoned when it left; a call served
 * without queueing is offered and answered at once (wait 0); PHANTOM calls and VRU-only hang-ups count
 * nowhere. Records the file gets wrong count nowhere either: a row that is not 17 columns, an outcome that is
 * not AGENT/HANG, a call served with no service times, served before it queued, or whose ser_time is not
 * ser_exit − ser_start. A time of day more than 12 hours before the one it follows is after midnight.
 */
function expectedFromTsv(text: string): Map<string, DayFigures> {
  const out = new Map<string, DayFigures>();
  const at = (key: string) => {
    let f = out.get(key);
    if (!f) out.set(key, (f = { offered: 0, answered: 0, abandoned: 0, waitSec: 0 }));
    return f;
  };
  const HALF_DAY = 43_200;
  for (const row of text.split('\n').slice(1)) {
    const c = row.replace(/\r$/, '').split('\t');
    if (c.length !== 17) continue;
    const [type, date, vruEntry, qStart, qExit, qTime, outcome, serStart, serExit, serTime] = [4, 5, 6, 9, 10, 11, 12, 13, 14, 15].map(
      (i) => c[i]!,
    ) as [string, string, string, string, string, string, string, string, string, string];
    if (outcome !== 'AGENT' && outcome !== 'HANG') continue;
    if (outcome === 'AGENT' && serStart === '0:00:00' && serExit === '0:00:00') continue;
    const midnight = Date.UTC(1999, Number(date.slice(2, 4)) - 1, Number(date.slice(4, 6)));
    // Seconds since the record's midnight of a time of day that follows `ref` (seconds since midnight).
    const follows = (t: string, ref: number) => {
      let v = secs(t);
      while (v < ref - HALF_DAY) v += 86_400;
      return v;
    };
    const entry = secs(vruEntry);
    const queued = qStart !== '0:00:00';
    const qs = queued ? follows(qStart, entry) : entry;
    let ss = 0;
    if (outcome === 'AGENT') {
      ss = follows(serStart, qs);
      let sx = secs(serExit);
      while (sx < ss) sx += 86_400;
      if (queued && ss < qs) continue;
      if (sx - ss !== Number(serTime)) continue;
    }
    const day = (v: number) => new Date(midnight + Math.floor(v / 86_400) * 86_400_000).toISOString().slice(0, 10);
    if (queued) {
      at(`${day(qs)} ${type}`).offered++;
      if (outcome === 'AGENT') {
        const f = at(`${day(ss)} ${type}`);
        f.answered++;
        f.waitSec += Number(qTime);
      } else {
        let qx = secs(qExit);
        while (qx < qs) qx += 86_400;
        at(`${day(qx)} ${type}`).abandoned++;
      }
    } else if (outcome === 'AGENT') {
      const f = at(`${day(ss)} ${type}`);
      f.offered++;
      f.answered++;
    }
  }
  return out;
}

class Exit {
  constructor(readonly code: number) {}
}

describe('sluice replay --by day on the Anonymous Bank month (October 1999)', () => {
  let dir: string;
  let events: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bank-'));
    events = join(dir, 'bank.ndjson');
    let ndjson = '';
    let summary = '';
    const traffic = trafficCommand({
      stdout: { write: (s: string) => ((ndjson += s), true) },
      stderr: { write: (s: string) => (summary += s) },
      clock: new ManualClock(Date.UTC(2026, 0, 12)),
    });
    traffic.exitOverride();
    await traffic.parseAsync(['--replay', 'anonymous-bank', '--file', BANK, '--stdout', '--shift-days', '0'], { from: 'user' });
    expect(summary.trimEnd().split('\n').at(-1)).toMatch(/^replay anonymous-bank: \d+ events/);
    writeFileSync(events, ndjson);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints, per local day and service type, exactly the offered, answered, abandoned and ASA the TSV says', async () => {
    let out = '';
    let err = '';
    const io: ReplayIo = {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      exit: (code) => {
        throw new Exit(code);
      },
      now: () => Date.UTC(2026, 0, 12),
    };
    await replayCommand(io).parseAsync(['--format', 'json', events, '--json', '--by', 'day', '--utc-offset', OFFSET], { from: 'user' });
    expect(err).toBe('');
    const rows = JSON.parse(out) as {
      period: string;
      tenant: string;
      queue: string;
      offered: number;
      answered: number;
      abandoned: number;
      asaSec: number | null;
    }[];
    const expected = expectedFromTsv(readFileSync(BANK, 'utf8'));
    const got = new Map(rows.map((r) => [`${r.period} ${r.queue}`, r]));
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, e] of expected) {
      const r = got.get(key)!;
      expect({ key, offered: r.offered, answered: r.answered, abandoned: r.abandoned, asaSec: r.asaSec }).toEqual({
        key,
        offered: e.offered,
        answered: e.answered,
        abandoned: e.abandoned,
        asaSec: e.answered === 0 ? null : Math.round((e.waitSec * 1000) / e.answered) / 1000,
      });
    }
    // Every day of October 1999 is there, in order, under the dataset's tenant.
    const days = [...new Set(rows.map((r) => r.period))];
    expect(days).toEqual([...days].sort());
    expect(days[0]).toBe('1999-10-01');
    expect(days.filter((d) => d.startsWith('1999-10-')).length).toBe(31);
    expect(new Set(rows.map((r) => r.tenant))).toEqual(new Set(['anonymous-bank']));
    // The month in all: the sums of the days.
    const total = (k: 'offered' | 'answered' | 'abandoned') => rows.reduce((n, r) => n + r[k], 0);
    const sum = (k: keyof DayFigures) => [...expected.values()].reduce((n, e) => n + e[k], 0);
    expect([total('offered'), total('answered'), total('abandoned')]).toEqual([sum('offered'), sum('answered'), sum('abandoned')]);
  }, 120_000);

  it('prints a period column in the table, and --by interval splits the days into intervals', async () => {
    let out = '';
    const io: ReplayIo = {
      stdout: (t) => void (out += t),
      stderr: () => {},
      exit: (code) => {
        throw new Exit(code);
      },
      now: () => Date.UTC(2026, 0, 12),
    };
    await replayCommand(io).parseAsync(['--format', 'json', events, '--by', 'interval', '--interval', '30', '--utc-offset', OFFSET], {
      from: 'user',
    });
    const rows = out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^period\s+queue\s+offered\s+answered/);
    const periods = rows.slice(1).map((r) => r.split(/\s+/)[0]!);
    expect(periods.every((p) => /^1999-1[01]-\d\dT\d\d:(00|30)$/.test(p))).toBe(true);
    expect(periods).toEqual([...periods].sort());
  }, 120_000);
});
