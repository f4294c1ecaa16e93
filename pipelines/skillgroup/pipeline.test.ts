import { describe, expect, it } from 'vitest';
import type { SkillGroupEvent } from '../events/types.js';
import { SkillGroupPartition, type SkillGroupPipelineOptions } from './pipeline.js';

const T0 = 1_795_000_020_000; // minute-aligned
const opts: SkillGroupPipelineOptions = {
  serviceLevelMs: 20_000,
  shortAbandonMs: 5_000,
  outOfOrdernessMs: 5_000,
  allowedLatenessMs: 120_000,
};
let seq = 0;
const ev = (
  ts: number,
  type: SkillGroupEvent['body']['type'],
  extra: Partial<SkillGroupEvent['body']> = {},
  id = `e${++seq}`,
  skillGroup = 'sales',
): SkillGroupEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id,
  ts,
  body: { skillGroup, callId: `c-${id}`, type, ...extra },
});
const items = (events: SkillGroupEvent[], from = 0) => events.map((event, i) => ({ event, offset: from + i }));

describe('SkillGroupPartition', () => {
  it('emits early minute rows of raw sums each batch, then the final row once the watermark passes the minute', () => {
    const p = new SkillGroupPartition(opts);
    const first = p.process(
      items([
        ev(T0 + 1_000, 'OFFERED'),
        ev(T0 + 9_000, 'ANSWERED', { waitMs: 8_000 }),
        ev(T0 + 30_000, 'ABANDONED', { waitMs: 3_000 }),
        ev(T0 + 40_000, 'ANSWERED', { waitMs: 25_000 }),
      ]),
      0,
    );
    expect(first.minutes).toHaveLength(1);
    expect(first.minutes[0]).toMatchObject({
      tenant: 'acme',
      skillGroup: 'sales',
      windowStart: T0,
      final: false,
      offered: 1,
      answered: 2,
      answeredWithinSl: 1,
      answerWaitMs: 33_000,
      abandoned: 1,
      shortAbandons: 1,
      maxWaitMs: 25_000,
    });
    const second = p.process(items([ev(T0 + 66_000, 'OFFERED')], 4), 1_000);
    const final = second.minutes.find((r) => r.windowStart === T0)!;
    expect(final).toMatchObject({ final: true, offered: 1, answered: 2 });
    expect(final.version).toBeGreaterThan(first.minutes[0]!.version);
  });

  it('keeps each row of a batch as it was when emitted, when a late event corrects the same window in that batch', () => {
    const p = new SkillGroupPartition(opts);
    const out = p.process(items([ev(T0 + 1_000, 'OFFERED'), ev(T0 + 66_000, 'OFFERED'), ev(T0 + 2_000, 'OFFERED')]), 0);
    const rows = out.minutes.filter((r) => r.windowStart === T0).sort((a, b) => a.version - b.version);
    expect(rows.map((r) => [r.final, r.offered])).toEqual([
      [true, 1],
      [true, 2],
    ]);
  });

  it('counts a duplicate id once, sends events past the allowed lateness aside, and corrects a window for a late event within it', () => {
    const p = new SkillGroupPartition({ ...opts, outOfOrdernessMs: 0 });
    const dup = ev(T0 + 1_000, 'OFFERED');
    p.process(items([dup, dup, ev(T0 + 61_000, 'OFFERED')]), 0);
    const corr = p.process(items([ev(T0 + 2_000, 'OFFERED')], 3), 1_000);
    expect(corr.minutes.find((r) => r.windowStart === T0)).toMatchObject({ offered: 2, final: true });
    const far = p.process(items([ev(T0 + 300_000, 'OFFERED'), ev(T0 + 3_000, 'OFFERED')], 4), 2_000);
    expect(far.late).toBe(1);
    expect(far.minutes.find((r) => r.windowStart === T0)).toBeUndefined();
  });

  it('gives the same final rows however a stream is cut into batches (replays reproduce versions)', () => {
    const events = Array.from({ length: 400 }, (_, i) =>
      ev(T0 + i * 1_500 + (i % 3) * 700, (['OFFERED', 'ANSWERED', 'ABANDONED', 'COMPLETED'] as const)[i % 4]!, {
        waitMs: (i * 37) % 40_000,
        talkMs: 60_000,
      }),
    );
    const finals = (cut: number) => {
      const p = new SkillGroupPartition(opts);
      const rows = new Map<number, { version: number; offered: number; answered: number }>();
      for (let i = 0; i < events.length; i += cut) {
        for (const r of p.process(items(events.slice(i, i + cut), i), i).minutes) if (r.final) rows.set(r.windowStart, r);
      }
      return rows;
    };
    const one = finals(400);
    expect(one.size).toBeGreaterThan(5);
    expect(finals(7)).toEqual(one);
    expect(finals(1)).toEqual(one);
  });

  it('emits sliding 5- and 60-minute sums as minutes close', () => {
    const p = new SkillGroupPartition({ ...opts, outOfOrdernessMs: 0 });
    const out = p.process(items([0, 1, 2, 3, 4, 5, 6].map((m) => ev(T0 + m * 60_000 + 1_000, 'OFFERED'))), 0);
    const five = out.sliding.filter((s) => s.sizeMs === 300_000);
    const last5 = five.sort((a, b) => b.windowEnd - a.windowEnd)[0]!;
    expect(last5.windowEnd).toBe(T0 + 6 * 60_000);
    expect(last5.sums.offered).toBe(5);
    expect(out.sliding.some((s) => s.sizeMs === 3_600_000)).toBe(true);
  });

  it("counts within each tenant's own threshold T (17 s, on no bucket bound) in minute rows and sliding sums alike", () => {
    const p = new SkillGroupPartition({ ...opts, outOfOrdernessMs: 0, serviceLevelMsOf: (t) => (t === 'acme' ? 17_000 : 20_000) });
    const waits = [16_000, 17_000, 17_001, 19_000, 20_000, 21_000];
    const of = (tenant: string) => waits.map((w, i) => ({ ...ev(T0 + 1_000 + i, 'ANSWERED', { waitMs: w }), tenant }) as SkillGroupEvent);
    const out = p.process(items([...of('acme'), ...of('globex'), ev(T0 + 7 * 60_000, 'OFFERED')]), 0);
    const row = (tenant: string) => out.minutes.find((r) => r.tenant === tenant && r.windowStart === T0)!;
    // acme: 16 s and 17 s are within 17 s (a wait of exactly T counts); globex: the five waits up to 20 s.
    expect([row('acme').answeredWithinSl, row('acme').serviceLevelMs]).toEqual([2, 17_000]);
    expect([row('globex').answeredWithinSl, row('globex').serviceLevelMs]).toEqual([5, 20_000]);
    const slide = (tenant: string) =>
      out.sliding.filter((f) => f.tenant === tenant && f.sizeMs === 300_000).sort((a, b) => b.windowEnd - a.windowEnd)[0]!.sums;
    expect([slide('acme').answered, slide('acme').answeredWithinSl, slide('acme').serviceLevelMs]).toEqual([6, 2, 17_000]);
    expect([slide('globex').answered, slide('globex').answeredWithinSl, slide('globex').serviceLevelMs]).toEqual([6, 5, 20_000]);
  });

  it('holds the commit position at the first offset still feeding a window within its lateness', () => {
    const p = new SkillGroupPartition({ ...opts, outOfOrdernessMs: 0, allowedLatenessMs: 60_000 });
    p.process(items([ev(T0 + 1_000, 'OFFERED'), ev(T0 + 61_000, 'OFFERED')], 10), 0);
    expect(p.commitPosition(12)).toBe(10);
    p.process(items([ev(T0 + 181_000, 'OFFERED')], 12), 0); // watermark T0 + 179 999: the first minute is past its lateness
    expect(p.commitPosition(13)).toBe(11);
    p.close();
  });
});
