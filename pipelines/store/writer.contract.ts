import { beforeAll, describe, expect, it } from 'vitest';
import type { SkillGroupEvent } from '../events/types.js';
import type { MinuteRow } from '../skillgroup/rows.js';
import type { TelemetryStore } from './types.js';
import { minuteRow } from '../testing/rows.js';

// Recent times: rows older than the TTL are dropped at insert.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
const ev = (id: string, tenant = 'acme', ts = T0): SkillGroupEvent => ({
  v: 1,
  tenant,
  source: 'skillgroup',
  id,
  ts,
  body: { skillGroup: 'sales', callId: `c${id}`, type: 'OFFERED' },
});
const row = (over: Partial<MinuteRow>): MinuteRow =>
  minuteRow({ tenant: 'acme', skillGroup: 'sales', windowStart: T0, offered: 1, ...over });

/**
 * Contract of the {@link TelemetryWriter} the worker writes through: raw events deduplicated, retried inserts
 * applied once, the highest version of a window row kept, dead letters kept whole (read back through the
 * queries). `get` is read before the tests run.
 */
export function telemetryWriterContract(get: () => TelemetryStore): void {
  describe('writer', () => {
    let store: TelemetryStore;
    beforeAll(() => {
      store = get();
    });

    it('deduplicates raw events by id and drops a retried insert with the same token', async () => {
      await store.insertEvents([ev('1'), ev('2')], 'p0:0-1');
      await store.insertEvents([ev('1'), ev('2')], 'p0:0-1');
      await store.insertEvents([ev('2'), ev('3')], 'p0:1-2');
      await store.insertEvents([ev('9', 'other')], 'p1:0-0');
      expect(await store.countEvents('acme')).toBe(3);
      expect(await store.countEvents('acme', 'agent')).toBe(0);
      expect(await store.countEvents('other', 'skillgroup')).toBe(1);
    });

    it('stores events given with the bytes they were decoded from exactly as without them, odd but valid JSON included', async () => {
      const body = '{"skillGroup":"sales","callId":"c1","type":"OFFERED"}';
      const texts = [
        JSON.stringify(ev('x1', 'texts')),
        `  {\n  "v": 1, "tenant": "texts", "source": "skillgroup",\n  "id": "x2", "ts": ${T0}, "body": ${body}\n}\n`,
        `{"v":1,"tenant":"texts","source":"skillgroup","id":"x3","ts":${T0 / 1000}e3,"body":${body}}`,
        `{"v":1,"tenant":"wrong","source":"skillgroup","id":"x4","ts":${T0},"tenant":"texts","body":${body}}`,
      ];
      const events = texts.map((t) => JSON.parse(t) as SkillGroupEvent);
      await store.insertEvents(
        events,
        'texts:0-3',
        texts.map((t) => Buffer.from(t)),
      );
      await store.insertEvents(
        events,
        'texts:0-3',
        texts.map((t) => Buffer.from(t)),
      );
      expect(await store.countEvents('texts')).toBe(4);
      expect(await store.countEvents('wrong')).toBe(0);
    });

    it('keeps the highest version of a window row, whatever the arrival order', async () => {
      await store.upsertMinutes([row({ version: 2, offered: 2 })], 'm1');
      await store.upsertMinutes(
        [
          row({
            version: 5,
            offered: 4,
            answered: 1,
            answeredWithinSl: 1,
            answerWaitMs: 12_345,
            maxWaitMs: 12_345,
            talkMs: 99_000,
            final: true,
          }),
        ],
        'm2',
      );
      await store.upsertMinutes([row({ version: 3, offered: 3 })], 'm3');
      await store.upsertMinutes([row({ skillGroup: 'support', version: 1 }), row({ windowStart: T0 + 60_000, version: 1 })], 'm4');
      const rows = await store.minutes({ tenant: 'acme', from: T0, to: T0 + 120_000 });
      expect(rows).toEqual([
        row({
          version: 5,
          offered: 4,
          answered: 1,
          answeredWithinSl: 1,
          answerWaitMs: 12_345,
          maxWaitMs: 12_345,
          talkMs: 99_000,
          final: true,
        }),
        row({ windowStart: T0 + 60_000, version: 1 }),
        row({ skillGroup: 'support', version: 1 }),
      ]);
      expect(await store.minutes({ tenant: 'acme', from: T0, to: T0 + 60_000, skillGroup: 'support' })).toEqual([
        row({ skillGroup: 'support', version: 1 }),
      ]);
      expect(await store.minutes({ tenant: "acme' OR 1=1 --", from: 0, to: T0 * 2 })).toEqual([]);
    });

    it('keeps dead letters with their reason and original bytes', async () => {
      const payload = Buffer.from([0x7b, 0xff, 0x00, 0x22]);
      await store.insertDeadLetters(
        [
          {
            tenant: '',
            source: 'skillgroup',
            code: 'malformed',
            reason: 'not JSON',
            payload,
            origin: 'sluice.skillgroup:0:42',
            receivedAt: T0,
          },
        ],
        'd1',
      );
      await store.insertDeadLetters(
        [
          {
            tenant: '',
            source: 'skillgroup',
            code: 'malformed',
            reason: 'not JSON',
            payload,
            origin: 'sluice.skillgroup:0:42',
            receivedAt: T0,
          },
        ],
        'd1',
      );
      const dead = await store.deadLetters(10);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.payload.equals(payload)).toBe(true);
      expect(dead[0]).toMatchObject({ code: 'malformed', reason: 'not JSON', origin: 'sluice.skillgroup:0:42', receivedAt: T0 });
    });
  });
}
