import { describe, expect, it } from 'vitest';
import type { SkillGroupEvent } from './events/types.js';
import { SkillGroupMinutes } from './skillgroup-minutes.js';

const T0 = 1_700_000_040_000; // aligned to a minute
const ev = (id: string, ts: number, type: SkillGroupEvent['body']['type'], skillGroup = 'sales', tenant = 'acme'): SkillGroupEvent => ({
  v: 1, tenant, source: 'skillgroup', id, ts, body: { skillGroup, callId: `c-${id}`, type },
});

describe('SkillGroupMinutes', () => {
  it('counts per tenant, skill group and minute in event time, out of order within the bound', () => {
    const w = new SkillGroupMinutes();
    w.add(ev('1', T0 + 10_000, 'OFFERED'), 0);
    w.add(ev('2', T0 + 5_000, 'OFFERED'), 1);
    w.add(ev('3', T0 + 61_000, 'OFFERED'), 2);
    w.add(ev('4', T0 + 20_000, 'ANSWERED'), 3);
    w.add(ev('5', T0 + 30_000, 'OFFERED', 'support'), 4);
    w.add(ev('6', T0 + 30_000, 'OFFERED', 'sales', 'other'), 5);
    const rows = w.flush();
    const first = rows.find((r) => r.tenant === 'acme' && r.skillGroup === 'sales' && r.windowStart === T0)!;
    expect(first).toMatchObject({ offered: 2, answered: 1, abandoned: 0, version: 3, final: false });
    expect(rows).toHaveLength(4);
  });

  it('marks a window final once the watermark passes its end, and counts a duplicate once', () => {
    const w = new SkillGroupMinutes({ outOfOrdernessMs: 5_000 });
    w.add(ev('1', T0 + 1_000, 'OFFERED'), 0);
    w.add(ev('1', T0 + 1_000, 'OFFERED'), 1);
    expect(w.duplicates).toBe(1);
    w.flush();
    w.add(ev('2', T0 + 64_000, 'OFFERED'), 2); // watermark = T0 + 59 s: not yet
    expect(w.flush().find((r) => r.windowStart === T0)).toBeUndefined();
    w.add(ev('3', T0 + 65_000, 'OFFERED'), 3); // watermark = T0 + 60 s: final
    const final = w.flush().find((r) => r.windowStart === T0)!;
    expect(final).toMatchObject({ offered: 1, version: 1, final: true });
  });

  it('takes a late event within allowed lateness as a correction and drops it after, freeing state', () => {
    const w = new SkillGroupMinutes({ outOfOrdernessMs: 0, allowedLatenessMs: 120_000 });
    w.add(ev('1', T0, 'OFFERED'), 0);
    w.add(ev('2', T0 + 90_000, 'OFFERED'), 1);
    w.flush();
    expect(w.add(ev('3', T0 + 2_000, 'ANSWERED'), 2)).toBe('counted');
    const corrected = w.flush().find((r) => r.windowStart === T0)!;
    expect(corrected).toMatchObject({ offered: 1, answered: 1, version: 2, final: true });
    w.add(ev('4', T0 + 181_000, 'OFFERED'), 3);
    w.flush();
    expect(w.minOpenOffset()).toBe(1);
    expect(w.add(ev('5', T0 + 3_000, 'OFFERED'), 4)).toBe('late');
    expect(w.late).toBe(1);
    expect(w.size).toBe(2);
  });

  it('reports the smallest offset still feeding an open window', () => {
    const w = new SkillGroupMinutes({ outOfOrdernessMs: 0, allowedLatenessMs: 0 });
    expect(w.minOpenOffset()).toBeUndefined();
    w.add(ev('1', T0, 'OFFERED'), 7);
    w.add(ev('2', T0 + 61_000, 'OFFERED'), 8);
    w.flush();
    expect(w.minOpenOffset()).toBe(8);
  });

  it('refuses nonsensical options with the rule broken', () => {
    expect(() => new SkillGroupMinutes({ windowMs: 0 })).toThrow(/windowMs must be > 0/);
  });
});
