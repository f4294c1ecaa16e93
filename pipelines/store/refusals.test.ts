import { describe, expect, it } from 'vitest';
import type { SkillGroupEvent } from '../events/types.js';
import { MemoryTelemetryStore } from './memory.js';
import { splitRefusals, type RefusedRow } from './refusals.js';
import type { TelemetryStore } from './types.js';
import { minuteRow } from '../testing/rows.js';

const T = Date.UTC(2026, 10, 23, 9, 0);
const refusal = (what: string) => Object.assign(new Error(`Code: 27. DB::Exception: Cannot parse input: ${what}`), { clickhouseCode: 27 });
const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });

/**
 * The in-memory store refusing, as ClickHouse would, every write that holds a poisoned row (any write
 * fails whole), and recording each write it was asked for: its size and token.
 */
function refusing(poisoned: (row: unknown) => boolean) {
  const inner = new MemoryTelemetryStore();
  const calls: { method: string; rows: number; token: string | undefined }[] = [];
  let unavailable = false;
  const store = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return async (rows: unknown[], token?: string, ...rest: unknown[]) => {
        if (typeof prop === 'string' && /^(insert|upsert)/.test(prop)) {
          calls.push({ method: prop, rows: rows.length, token });
          if (unavailable) throw down();
          const bad = rows.find(poisoned);
          if (bad) throw refusal(JSON.stringify(bad));
        }
        return (v as (...a: unknown[]) => unknown).call(target, rows, token, ...rest);
      };
    },
  }) as TelemetryStore;
  return { store, inner, calls, setUnavailable: (u: boolean) => (unavailable = u) };
}

const ev = (i: number): SkillGroupEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `e${i}`,
  ts: T + i,
  body: { skillGroup: 'sales', callId: `c${i}`, type: 'OFFERED' },
});

describe('splitRefusals', () => {
  it("stores every row but the refused ones, each reported once with its index and ClickHouse's reason", async () => {
    const poison = new Set(['e3', 'e4', 'e11']);
    const { store, inner, calls } = refusing((r) => poison.has((r as SkillGroupEvent).id));
    const refused: RefusedRow[] = [];
    const events = Array.from({ length: 16 }, (_, i) => ev(i));
    await splitRefusals(store, (r) => refused.push(r)).insertEvents(
      events,
      'batch',
      events.map((e) => Buffer.from(JSON.stringify(e))),
    );
    expect(refused.map((r) => [r.write, r.index, (r.row as SkillGroupEvent).id])).toEqual([
      ['insertEvents', 3, 'e3'],
      ['insertEvents', 4, 'e4'],
      ['insertEvents', 11, 'e11'],
    ]);
    expect(refused[0]!.reason).toBe(
      `ClickHouse code 27 (CANNOT_PARSE_INPUT_ASSERTION_FAILED): Cannot parse input: ${JSON.stringify(ev(3))}`,
    );
    expect(await inner.countEvents('acme')).toBe(13);
    // The whole write under its own token, then halves, quarters…, each part under a token of its own.
    expect(calls[0]).toEqual({ method: 'insertEvents', rows: 16, token: 'batch' });
    expect(calls.slice(1, 3).map((c) => c.token)).toEqual(['batch#0+8', 'batch#0+4']);
    expect(new Set(calls.map((c) => c.token)).size).toBe(calls.length);
    // log₂(16) levels for each of 3 refusals, at most.
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * 3 * 4);
  });

  it('splits the received texts beside their events', async () => {
    const { store } = refusing(() => false);
    const seen: (readonly Uint8Array[] | undefined)[] = [];
    const spy = new Proxy(store, {
      get: (t, p) =>
        p === 'insertEvents'
          ? async (e: SkillGroupEvent[], tok: string, r?: readonly Uint8Array[]) => {
              seen.push(r);
              if (e.some((x) => x.id === 'e1')) throw refusal('e1');
              return t.insertEvents(e, tok, r);
            }
          : Reflect.get(t, p),
    });
    const events = [ev(0), ev(1), ev(2)];
    const texts = events.map((e) => Buffer.from(e.id));
    await splitRefusals(spy, () => {}).insertEvents(events, 'b', texts);
    expect(seen.map((r) => r?.map((b) => Buffer.from(b).toString()))).toEqual([['e0', 'e1', 'e2'], ['e0'], ['e1', 'e2'], ['e1'], ['e2']]);
  });

  it('throws unavailability at once, unsplit, for the caller to retry; a retry stores each part once', async () => {
    const { store, inner, calls, setUnavailable } = refusing((r) => (r as { skillGroup: string }).skillGroup === 'bad');
    const rows = [
      minuteRow({ tenant: 'acme', skillGroup: 'sales', windowStart: T, offered: 1 }),
      minuteRow({ tenant: 'acme', skillGroup: 'bad', windowStart: T }),
      minuteRow({ tenant: 'acme', skillGroup: 'care', windowStart: T, offered: 2 }),
    ];
    setUnavailable(true);
    const refused: RefusedRow[] = [];
    const split = splitRefusals(store, (r) => refused.push(r));
    await expect(split.upsertMinutes(rows, 'm')).rejects.toThrow('ECONNREFUSED');
    expect(calls).toHaveLength(1);
    setUnavailable(false);
    await split.upsertMinutes(rows, 'm');
    await split.upsertMinutes(rows, 'm');
    expect(refused.map((r) => r.index)).toEqual([1, 1]);
    expect((await inner.minutes({ tenant: 'acme', from: T, to: T + 60_000 })).map((r) => [r.skillGroup, r.offered])).toEqual([
      ['care', 2],
      ['sales', 1],
    ]);
  });

  it('passes reads through and leaves a write of no rows alone', async () => {
    const { store, calls } = refusing(() => true);
    const split = splitRefusals(store, () => {});
    await split.upsertAgentWindows([]);
    expect(calls).toEqual([]);
    expect(await split.countEvents('acme')).toBe(0);
  });
});
